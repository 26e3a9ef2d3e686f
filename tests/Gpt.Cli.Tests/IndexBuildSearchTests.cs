using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt index build</c>, <c>gpt index search</c> and <c>gpt rag</c> on a tiny BPE model made here (mean pooling of
/// its trunk): the round trip finds a chunk by its own text, the index records its model, and bad input is refused cleanly.</summary>
public sealed class IndexBuildSearchTests : IDisposable
{
    private static readonly string[] Documents =
    [
        "Volcanoes erupt when magma rises through the crust. Lava flows downhill and cools into basalt rock.",
        "Bees collect nectar from flowers and turn it into honey. The queen bee lays the eggs in the hive.",
        "Trains run on steel rails between stations. Signals tell the driver when the line ahead is clear.",
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-index-").FullName;
    private readonly string _model, _wide, _data;

    public IndexBuildSearchTests()
    {
        var tokenizer = BpeTrainer.Train([string.Join(" ", Documents)], new BpeTrainerOptions { VocabularySize = 256 + 40 });
        _model = Path.Combine(_folder, "model");
        _wide = Path.Combine(_folder, "wide");
        using (var model = new GptModel(new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 256, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 }, seed: 7))
            model.Save(_model, tokenizer);
        using (var wide = new GptModel(new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 128, EmbeddingSize = 24, LayerCount = 1, HeadCount = 2 }, seed: 7))
            wide.Save(_wide, tokenizer);
        _data = Path.Combine(_folder, "docs.jsonl");
        File.WriteAllLines(_data, [
            JsonSerializer.Serialize(new { id = "volcano", text = Documents[0] }),
            "",
            JsonSerializer.Serialize(new { id = "bees", text = Documents[1] }),
            JsonSerializer.Serialize(new { text = Documents[2] }),
        ]);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Build_then_search_finds_each_chunk_first_by_its_own_text_and_rag_answers_with_numbered_sources()
    {
        string index = Path.Combine(_folder, "docs.gptvec");
        var built = GptProcess.Run("index", "build", "--model", _model, "--data", _data, "--out", index, "--chunk-tokens", "24", "--overlap", "4", "--batch", "3");
        Assert.True(built.ExitCode == 0, built.Stderr);
        using var summary = JsonDocument.Parse(built.Stdout);
        int chunks = summary.RootElement.GetProperty("chunks").GetInt32();
        Assert.Equal(3, summary.RootElement.GetProperty("documents").GetInt32());
        Assert.True(chunks > 3, $"{chunks} chunks");
        Assert.Contains($"indexed 3/3 documents, {chunks} chunks", built.Stderr);
        var info = VectorIndexFile.ReadInfo(index);
        Assert.Equal((chunks, 16), (info.Count, info.Dimensions));
        using (var meta = JsonDocument.Parse(File.ReadAllText(index + ".model.json")))
            Assert.Equal(("Mean", 16, 24), (meta.RootElement.GetProperty("pooling").GetString(), meta.RootElement.GetProperty("dimensions").GetInt32(),
                meta.RootElement.GetProperty("chunk_tokens").GetInt32()));

        var described = GptProcess.Run("index", "info", "--index", index);
        Assert.True(described.ExitCode == 0, described.Stderr);
        using (var infoJson = JsonDocument.Parse(described.Stdout))
            Assert.Equal(("chunks", "Mean"), (infoJson.RootElement.GetProperty("collection").GetString(),
                infoJson.RootElement.GetProperty("built_by").GetProperty("pooling").GetString()));

        // Every chunk, searched by its own text, comes back first with a cosine of 1: the round trip through the file is exact.
        var all = GptProcess.Run("index", "search", "--index", index, "--model", _model, "--query", "bees and honey", "-k", chunks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(all.ExitCode == 0, all.Stderr);
        var lines = all.Stdout.TrimEnd().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(chunks, lines.Count);
        Assert.Equal(Enumerable.Range(1, chunks), lines.Select(l => l.GetProperty("rank").GetInt32()));
        Assert.Equal(["bees", "line-4", "volcano"], lines.Select(l => l.GetProperty("document").GetString()).Distinct().Order());
        Assert.True(lines.Zip(lines.Skip(1)).All(p => p.First.GetProperty("score").GetDouble() >= p.Second.GetProperty("score").GetDouble()));
        foreach (var chunk in lines.Where((_, i) => i % 2 == 0))
        {
            string text = chunk.GetProperty("text").GetString()!;
            var own = GptProcess.Run("index", "search", "--index", index, "--model", _model, "--query", text, "-k", "1");
            Assert.True(own.ExitCode == 0, own.Stderr);
            var first = JsonDocument.Parse(own.Stdout.TrimEnd().Split('\n')[0]).RootElement;
            Assert.Equal(chunk.GetProperty("id").GetString(), first.GetProperty("id").GetString());
            Assert.Equal(1.0, first.GetProperty("score").GetDouble(), 4);
            Assert.Equal($"{first.GetProperty("document").GetString()}#{first.GetProperty("chunk").GetInt32()}", first.GetProperty("id").GetString());
        }

        var rag = GptProcess.Run("rag", "--index", index, "--model", _model, "--question", "Who lays the eggs?", "-k", "2", "--max-tokens", "6");
        Assert.True(rag.ExitCode == 0, rag.Stderr);
        var answer = JsonDocument.Parse(rag.Stdout).RootElement;
        Assert.Equal(2, answer.GetProperty("sources").GetArrayLength());
        Assert.Equal([1, 2], answer.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("n").GetInt32()));
        Assert.True(answer.TryGetProperty("answer", out _));
        Assert.All(answer.GetProperty("cited").EnumerateArray(), n => Assert.InRange(n.GetInt32(), 1, 2));
    }

    [Fact]
    public void Bad_input_is_refused_with_a_message_and_no_stack_trace()
    {
        string index = Path.Combine(_folder, "docs.gptvec");
        string empty = Path.Combine(_folder, "empty.jsonl");
        File.WriteAllText(empty, "\n\n");
        AssertRefused(GptProcess.Run("index", "build", "--model", _model, "--data", empty, "--out", index), "no documents");
        Assert.False(File.Exists(index));

        string noText = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllLines(noText, [JsonSerializer.Serialize(new { text = "fine" }), JsonSerializer.Serialize(new { id = "x", body = "no text" })]);
        AssertRefused(GptProcess.Run("index", "build", "--model", _model, "--data", noText, "--out", index), "bad.jsonl:2:");
        AssertRefused(GptProcess.Run("index", "build", "--model", _model, "--data", _data, "--out", index, "--chunk-tokens", "500"), "more than the model embeds");
        AssertRefused(GptProcess.Run("index", "build", "--model", _model, "--data", _data, "--out", index, "--chunk-tokens", "8", "--overlap", "8"), "smaller than the chunk size");

        AssertRefused(GptProcess.Run("index", "search", "--index", Path.Combine(_folder, "missing.gptvec"), "--model", _model, "--query", "bees"), "does not exist");

        var built = GptProcess.Run("index", "build", "--model", _model, "--data", _data, "--out", index, "--chunk-tokens", "24", "--overlap", "4");
        Assert.True(built.ExitCode == 0, built.Stderr);
        AssertRefused(GptProcess.Run("index", "search", "--index", index, "--model", _wide, "--query", "bees"), "holds vectors of 16 dimensions, but the query model's embeddings have 24");
        AssertRefused(GptProcess.Run("rag", "--index", index, "--model", _wide, "--question", "bees?"), "holds vectors of 16 dimensions");

        byte[] bytes = File.ReadAllBytes(index);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(index, bytes);
        AssertRefused(GptProcess.Run("index", "search", "--index", index, "--model", _model, "--query", "bees"), "checksum");
        File.WriteAllBytes(index, bytes[..(bytes.Length / 3)]);
        AssertRefused(GptProcess.Run("index", "search", "--index", index, "--model", _model, "--query", "bees"), "truncated");
    }

    private static void AssertRefused(GptProcess.Result result, string message)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}

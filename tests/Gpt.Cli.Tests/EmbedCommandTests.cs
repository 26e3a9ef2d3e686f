using System.Text.Json;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt embed train</c> and <c>gpt embed</c> on a tiny BPE model made here: a head trained with LoRA and
/// gradient caching, saved beside the base folder and used to embed; bad lines refused with their line number.</summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-embed-").FullName;
    private readonly string _base;

    public EmbedCommandTests()
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat. a dog ran in the park. the sun is hot."], new BpeTrainerOptions { VocabularySize = 256 + 16 });
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 24, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        _base = Path.Combine(_folder, "base");
        using var model = new GptModel(config, seed: 7);
        model.Save(_base, tokenizer);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AHeadTrainedWithLoraBesideTheBaseFolderEmbedsLines()
    {
        string[] words = ["cat", "dog", "sun", "rain", "park", "mat", "roof", "hot"];
        string data = Path.Combine(_folder, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 16).Select(i =>
            JsonSerializer.Serialize(new { query = $"the {words[i % 8]} {words[(i + 3) % 8]}", positive = $"a {words[i % 8]} on {words[(i + 1) % 8]}", negatives = new[] { $"no {words[(i + 5) % 8]}" } })));
        string head = Path.Combine(_folder, "head");
        var trained = GptProcess.Run("embed", "train", "--model", _base, "--data", data, "--out", head, "--batch", "8", "--chunk", "5", "--steps", "6",
            "--lora-rank", "2", "--dimension", "6", "--learn-temperature", "--lr", "3e-3", "--warmup", "0", "--seed", "3");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        Assert.Matches(@"step 6/6 \| loss [\d.]+ \| acc [\d.]+ tau [\d.]+", trained.Stderr);
        Assert.True(File.Exists(Path.Combine(head, "embedding_head.json")));
        Assert.True(File.Exists(Path.Combine(head, "adapter_config.json")));

        var embedded = GptProcess.RunWithInput("{\"text\": \"the cat sat\"}\n\n{\"text\": \"" + string.Concat(Enumerable.Repeat("the park is hot. ", 20)) + "\"}\n",
            "embed", "--model", _base, "--head", head);
        Assert.True(embedded.ExitCode == 0, embedded.Stderr);
        var vectors = embedded.Stdout.TrimEnd().Split('\n').Select(l => JsonSerializer.Deserialize<float[]>(l)!).ToList();
        Assert.Equal(2, vectors.Count);
        Assert.All(vectors, v => Assert.Equal(6, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, v.Sum(x => (double)x * x), 1e-4));
        Assert.Contains("line 3: the text is longer than the model reads", embedded.Stderr);

        // Running the same command again resumes: the run is already complete.
        var again = GptProcess.Run("embed", "train", "--model", _base, "--data", data, "--out", head, "--batch", "8", "--chunk", "5", "--steps", "6",
            "--lora-rank", "2", "--dimension", "6", "--learn-temperature", "--lr", "3e-3", "--warmup", "0", "--seed", "3");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("resumed from step 6", again.Stderr);
    }

    [Fact]
    public void BadInputIsRefusedWithItsLine()
    {
        var empty = GptProcess.RunWithInput("{\"text\": \"fine\"}\n{\"text\": \"\"}\n", "embed", "--model", _base);
        Assert.NotEqual(0, empty.ExitCode);
        Assert.Contains("standard input:2: the text is empty", empty.Stderr);

        string data = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllText(data, "{\"query\": \"a\", \"positive\": \"b\"}\n{\"query\": \"a\"}\n");
        var bad = GptProcess.Run("embed", "train", "--model", _base, "--data", data, "--out", Path.Combine(_folder, "out"), "--steps", "1");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("bad.jsonl:2:", bad.Stderr);
        Assert.Contains("\"positive\" is missing", bad.Stderr);

        var noHead = GptProcess.RunWithInput("{\"text\": \"fine\"}\n", "embed", "--model", _base, "--head", _base);
        Assert.NotEqual(0, noHead.ExitCode);
        Assert.Contains("no embedding_head.json", noHead.Stderr);
    }
}

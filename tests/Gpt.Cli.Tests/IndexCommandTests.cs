using System.Diagnostics;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;

namespace Gpt.Cli.Tests;

public sealed class IndexCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-cli-index-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Index_info_prints_what_a_saved_index_holds_and_refuses_a_damaged_one()
    {
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(string)),
                new VectorStoreDataProperty("Text", typeof(string)),
                new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 3) { DistanceFunction = DistanceFunction.DotProductSimilarity },
            ],
        };
        var collection = new FlatVectorStore().GetDynamicCollection("docs", definition);
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync([
            new Dictionary<string, object?> { ["Id"] = "a", ["Text"] = "first", ["Embedding"] = new ReadOnlyMemory<float>([1f, 0f, 0f]) },
            new Dictionary<string, object?> { ["Id"] = "b", ["Text"] = "second", ["Embedding"] = new ReadOnlyMemory<float>([0f, 1f, 0f]) },
        ]);
        string path = Path.Combine(_folder, "docs.gptvec");
        await collection.SaveAsync(path);

        var result = GptProcess.Run("index", "info", "--index", path);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(("docs", 2, 3, "DotProductSimilarity"), (root.GetProperty("collection").GetString(), root.GetProperty("count").GetInt32(),
            root.GetProperty("dimensions").GetInt32(), root.GetProperty("distance").GetString()));
        Assert.Equal("System.String", root.GetProperty("key").GetProperty("type").GetString());
        Assert.Equal("Text", root.GetProperty("data")[0].GetProperty("name").GetString());
        Assert.Equal(new FileInfo(path).Length, root.GetProperty("bytes").GetInt64());

        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var truncated = GptProcess.Run("index", "info", "--index", path);
        Assert.Equal(1, truncated.ExitCode);
        Assert.Contains("truncated", truncated.Stderr);
        Assert.DoesNotContain("   at ", truncated.Stderr);
        Assert.Equal(1, GptProcess.Run("index", "info", "--index", Path.Combine(_folder, "missing.gptvec")).ExitCode);
    }

    [Fact]
    public void Bench_vectors_reports_both_sides_with_their_bandwidth_and_flops_and_full_recall_against_faiss()
    {
        bool faiss = FaissAvailable();
        var result = GptProcess.Run("bench", "vectors", "--count", "3000", "--dimensions", "48", "--batch", "6", "--repeat", "1",
            "--python", faiss ? "/usr/bin/python3" : "");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var sdk = json.RootElement.GetProperty("sdk");
        foreach (string figure in new[] { "single_ms", "single_effective_gbs", "single_gflops", "batch_ms", "batch_effective_gbs", "batch_gflops" })
            Assert.True(sdk.GetProperty(figure).GetDouble() > 0, figure);
        Assert.True(json.RootElement.TryGetProperty("machine_peaks", out _));
        if (faiss)
        {
            Assert.True(json.RootElement.GetProperty("faiss_index_flat_ip").GetProperty("batch_ms").GetDouble() > 0);
            Assert.Equal(1.0, json.RootElement.GetProperty("recall_at_top_against_faiss").GetDouble());
        }
        Assert.Equal(1, GptProcess.Run("bench", "vectors", "--count", "5", "--top", "10", "--python", "").ExitCode);
    }

    private static bool FaissAvailable()
    {
        if (!File.Exists("/usr/bin/python3")) return false;
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import faiss, numpy"]) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

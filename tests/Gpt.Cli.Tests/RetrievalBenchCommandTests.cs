using System.Text.Json;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt bench retrieval</c> in a tiny configuration (seconds): the JSON has every retriever's figures, each a
/// share in [0, 1], and the run is deterministic. Its real figures need minutes and are in the README.</summary>
public sealed class RetrievalBenchCommandTests
{
    private static readonly string[] s_tiny =
    [
        "bench", "retrieval", "--corpus-people", "150", "--train-people", "24", "--held-out-people", "12",
        "--pretrain-steps", "8", "--steps", "4", "--batch", "8", "--width", "32", "--layers", "1",
    ];

    [Fact]
    public void ATinyRunReportsRecallOfEveryRetriever_TheSameEachTime()
    {
        var first = GptProcess.Run(s_tiny);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("retrieval: pretraining", first.Stderr);
        Assert.Contains("retrieval: contrastive training", first.Stderr);

        using var json = JsonDocument.Parse(first.Stdout);
        var retrieval = json.RootElement.GetProperty("retrieval");
        Assert.Equal(12, retrieval.GetProperty("world").GetProperty("held_out_queries").GetInt32());
        Assert.Equal(36, retrieval.GetProperty("world").GetProperty("collection_passages").GetInt32());
        var retrievers = retrieval.GetProperty("retrievers");
        Assert.Equal(["base_mean_pooling", "trained_head", "bm25"], retrievers.EnumerateObject().Select(r => r.Name));
        foreach (var retriever in retrievers.EnumerateObject())
        {
            double at1 = retriever.Value.GetProperty("recall_at_1").GetDouble(), at10 = retriever.Value.GetProperty("recall_at_10").GetDouble();
            Assert.InRange(at1, 0, 1);
            Assert.InRange(at10, at1, 1);                                    // ten chances find at least what one does
            Assert.InRange(retriever.Value.GetProperty("mrr").GetDouble(), at1, 1);
        }
        Assert.True(retrieval.GetProperty("trained_beats_both").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.True(retrieval.GetProperty("seconds").GetProperty("total").GetDouble() > 0);

        // Seeded: a second run gives the same figures, the seconds and the load aside.
        var second = GptProcess.Run(s_tiny);
        Assert.True(second.ExitCode == 0, second.Stderr);
        using var again = JsonDocument.Parse(second.Stdout);
        Assert.Equal(retrievers.GetRawText(), again.RootElement.GetProperty("retrieval").GetProperty("retrievers").GetRawText());
        Assert.Equal(retrieval.GetProperty("contrastive").GetRawText(), again.RootElement.GetProperty("retrieval").GetProperty("contrastive").GetRawText());
    }

    [Fact]
    public void BadOptionsAreRefusedBeforeAnyTraining()
    {
        var pooling = GptProcess.Run("bench", "retrieval", "--pooling", "max");
        Assert.Equal(1, pooling.ExitCode);
        Assert.Contains("--pooling must be mean or end, got 'max'.", pooling.Stderr);

        var batch = GptProcess.Run("bench", "retrieval", "--train-people", "4", "--batch", "16");
        Assert.Equal(1, batch.ExitCode);
        Assert.Contains("--batch 16 is more pairs than the 8 the train people give", batch.Stderr);
        Assert.DoesNotContain("retrieval: pretraining", batch.Stderr);
    }
}

using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Embeddings;

public sealed class ContrastiveTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-contrastive-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TrainingRaisesInBatchAccuracySavesAHeadFolderAndResumes()
    {
        using var model = new GptModel(EmbeddingModels.Config(), seed: 6);
        string output = Path.Combine(_folder, "out");
        var pairs = EmbeddingModels.Pairs(16, negatives: 1);
        var steps = new List<TrainingProgress>();
        var result = await ContrastiveTraining.For(model, EmbeddingModels.Bpe)
            .OnPairs(pairs)
            .WithHead(EmbeddingPooling.EndToken, 8)
            .WithContrastiveOptions(o => o with { ChunkSize = 5, LearnTemperature = true })
            .WithOptions(o => o with { BatchSize = 8, MaxSteps = 30, LearningRate = 3e-3f, WarmupSteps = 0, EvalInterval = 0, Seed = 1 })
            .SaveTo(output)
            .RunAsync(new SyncProgress<TrainingProgress>(steps.Add));
        using (result.Embedder)
        {
            Assert.Equal(30, result.Training.Steps);
            Assert.True(steps.Take(5).Average(s => s.Loss) > steps.TakeLast(5).Average(s => s.Loss) + 0.3,
                $"loss {steps.Take(5).Average(s => s.Loss):F3} → {steps.TakeLast(5).Average(s => s.Loss):F3}");
            Assert.True(steps.TakeLast(5).Average(s => s.Metrics["accuracy"]) > steps.Take(5).Average(s => s.Metrics["accuracy"]) + 0.4,
                string.Join(" ", steps.Select(s => $"{s.Metrics["accuracy"]:F2}")));
            Assert.True(Math.Abs(steps[^1].Metrics["temperature"] - 0.05) > 1e-4, $"the learned temperature stayed at {steps[^1].Metrics["temperature"]:G6}");
            Assert.True(File.Exists(Path.Combine(output, "embedding_head.json")));
            using var loaded = Embedder.Load(output);
            var expected = result.Embedder.Embed("the cat sat").Vector;
            var actual = loaded.Embed("the cat sat").Vector;
            for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 1e-5f);
        }

        // Running again resumes from the checkpoint in the output folder: nothing left to do.
        using var again = new GptModel(EmbeddingModels.Config(), seed: 6);
        var resumed = await ContrastiveTraining.For(again, EmbeddingModels.Bpe).OnPairs(pairs).WithHead(EmbeddingPooling.EndToken, 8)
            .WithContrastiveOptions(o => o with { ChunkSize = 5, LearnTemperature = true })
            .WithOptions(o => o with { BatchSize = 8, MaxSteps = 30, LearningRate = 3e-3f, WarmupSteps = 0, EvalInterval = 0, Seed = 1 })
            .SaveTo(output).RunAsync();
        using (resumed.Embedder) Assert.Equal(30, resumed.ResumedFromStep);
    }

    [Fact]
    public void BadPairsLinesAreRefusedWithFileAndLine()
    {
        string path = Path.Combine(_folder, "pairs.jsonl");
        File.WriteAllText(path, "{\"query\": \"a\", \"positive\": \"b\"}\n{\"query\": \"a\", \"positive\": \"\"}\n");
        var error = Assert.Throws<TrainingDataException>(() => ContrastiveDataset.Load(path));
        Assert.Equal(2, error.LineNumber);
        Assert.Contains("\"positive\" is empty", error.Message);
        File.WriteAllText(path, "{\"query\": \"a\", \"positive\": \"b\", \"negatives\": \"c\"}\n");
        Assert.Equal(1, Assert.Throws<TrainingDataException>(() => ContrastiveDataset.Load(path)).LineNumber);
        File.WriteAllText(path, "not json\n");
        Assert.Equal(1, Assert.Throws<TrainingDataException>(() => ContrastiveDataset.Load(path)).LineNumber);
    }

    [Fact]
    public void NeighbouringChunksOfATextArePairs()
    {
        string text = string.Concat(Enumerable.Repeat("the cat sat on the mat. a dog ran in the park. ", 6));
        var data = ContrastiveDataset.FromText(text, EmbeddingModels.Bpe, 8);
        int chunks = EmbeddingModels.Bpe.Encode(text).Length / 8;
        Assert.Equal(chunks / 2, data.Count);
        Assert.Equal(EmbeddingModels.Bpe.Decode(EmbeddingModels.Bpe.Encode(text).AsSpan(8, 8)), data.Examples[0].Positive);
        Assert.Throws<ArgumentException>(() => ContrastiveDataset.FromText("too short", EmbeddingModels.Bpe, 8));
    }
}

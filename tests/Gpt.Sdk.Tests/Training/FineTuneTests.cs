using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training;

/// <summary>What <see cref="FineTune"/> tells before its first step, and what it leaves on disk when the data is refused.</summary>
public sealed class FineTuneTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-finetune-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GptModel Model() =>
        new(new GptConfig { VocabularySize = Chars.VocabularySize, ContextLength = 16, EmbeddingSize = 8, LayerCount = 1, HeadCount = 2 }, seed: 3);

    // Examples 2 and 5 are 31 tokens, longer than rows of 16.
    private static SftExample[] Examples() =>
        [.. Enumerable.Range(1, 8).Select(i => new PromptCompletionExample(i is 2 or 5 ? new string('x', 29) : $"Q{i}", " A"))];

    [Fact]
    public async Task OnStartingNamesTheSkippedExamplesEvenWhenSomeAreHeldOutAndTellsWhereARunResumes()
    {
        string output = Path.Combine(_folder, "out");
        FineTuneStart? start = null;
        using (var model = Model())
        {
            var result = await FineTune.For(model, Chars).OnSftData(Examples()).HoldOut(0.25)
                .WithOptions(o => o with { SequenceLength = 16, BatchSize = 2, MaxSteps = 2, EvalInterval = 0 })
                .SaveTo(output).OnStarting(s => start = s).RunAsync();
            Assert.Equal(2, result.SkippedExamples);
        }

        Assert.NotNull(start);
        Assert.Equal([2, 5], start.SkippedLines);
        Assert.Empty(start.SkippedEvaluationLines);
        Assert.Equal((4, 2), (start.Train.Count, start.Evaluation?.Count));
        Assert.Null(start.ResumedFromStep);
        Assert.Equal(2, start.Options.MaxSteps);

        using (var model = Model())
            await FineTune.For(model, Chars).OnSftData(Examples()).HoldOut(0.25)
                .WithOptions(o => o with { SequenceLength = 16, BatchSize = 2, MaxSteps = 3, EvalInterval = 0 })
                .SaveTo(output).OnStarting(s => start = s).RunAsync();
        Assert.Equal(2, start.ResumedFromStep);
    }

    [Fact]
    public async Task RefusedDataLeavesNoOutputFolder()
    {
        string data = WriteJsonl(_folder, """{"prompt": "Q", "completion": " A"}""", """{"prompt": "Q", """);
        string output = Path.Combine(_folder, "out");
        using var model = Model();
        var run = FineTune.For(model, Chars).OnSftData(data).WithOptions(o => o with { SequenceLength = 16, MaxSteps = 2 }).SaveTo(output);
        var error = await Assert.ThrowsAsync<TrainingDataException>(() => run.RunAsync());
        Assert.Equal(2, error.LineNumber);
        Assert.False(Directory.Exists(output));
    }
}

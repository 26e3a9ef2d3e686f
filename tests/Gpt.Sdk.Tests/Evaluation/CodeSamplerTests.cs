using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Evaluation;

public sealed class CodeSamplerTests : IDisposable
{
    private static readonly CharTokenizer Chars = new("abcdefgx()+-*:\n \"=0123456789");

    private static readonly HumanEvalProblem[] Problems =
    [
        new("T/0", "def f(x):\n", "def check(candidate):\n    assert candidate(1) == 2\n", "f"),
        new("T/1", "def g(x):\n", "def check(candidate):\n    assert candidate(1) == 3\n", "g"),
    ];

    private readonly GptModel _model = new(new GptConfig
    {
        VocabularySize = Chars.VocabularySize, ContextLength = 32, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2,
    }, seed: 7);

    private readonly string _directory = Directory.CreateTempSubdirectory("code-sampler-").FullName;

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private CodeSampler Sampler() => new(new Generator(_model, Chars));

    [Fact]
    public async Task SamplesNPerProblemIntoTheFileAndAResumedRunAddsNone()
    {
        string path = Path.Combine(_directory, "samples.jsonl");
        // Batches of 3 for n = 5 split each problem's samples 3 + 2, so the seeds of both batches are exercised.
        var options = new CodeSamplingOptions { SamplesPerProblem = 5, BatchSize = 3, MaxTokens = 8, Seed = 4 };
        var progress = new List<CodeSamplingProgress>();
        var samples = await Sampler().SampleAsync(Problems, path, options, new Inline<CodeSamplingProgress>(progress.Add));

        Assert.Equal(10, samples.Count);
        Assert.Equal(5, samples.Count(s => s.TaskId == "T/0"));
        Assert.Equal(5, samples.Count(s => s.TaskId == "T/1"));
        Assert.Equal(samples, HumanEvalFiles.ReadSamples(path, Problems));
        Assert.Equal(10, progress[^1].SamplesWritten);
        string written = File.ReadAllText(path);

        // Every problem already has n samples: the second call generates nothing and leaves the file as it was.
        var again = await Sampler().SampleAsync(Problems, path, options);
        Assert.Equal(samples, again);
        Assert.Equal(written, File.ReadAllText(path));
    }

    [Fact]
    public async Task AResumedRunSamplesWhatAnUninterruptedOneWould()
    {
        var options = new CodeSamplingOptions { SamplesPerProblem = 4, BatchSize = 2, MaxTokens = 8, Seed = 9 };
        string whole = Path.Combine(_directory, "whole.jsonl");
        var expected = await Sampler().SampleAsync(Problems, whole, options);

        // A run stopped after the first batch of the first problem: the file holds those two samples only.
        string part = Path.Combine(_directory, "part.jsonl");
        HumanEvalFiles.AppendSamples(part, expected.Take(2));
        var resumed = await Sampler().SampleAsync(Problems, part, options);

        Assert.Equal(expected, resumed);
        Assert.Equal(8, File.ReadLines(part).Count(line => line.Length > 0));
    }

    // Progress<T> posts to the thread pool; the test reads the reports straight after the call.
    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

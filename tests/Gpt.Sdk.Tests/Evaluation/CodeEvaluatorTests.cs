using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

[Collection(SandboxCollection.Name)]
public class CodeEvaluatorTests
{
    private static readonly HumanEvalProblem Add = new("T/add", "def add(a, b):\n", "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n", "add");
    private static readonly HumanEvalProblem Reverse = new("T/rev", "def rev(s):\n", "def check(candidate):\n    assert candidate('abc') == 'cba'\n", "rev");

    [Fact]
    public async Task PassAtKOverAMixedSetIsExactlyRight()
    {
        HumanEvalSample[] samples =
        [
            new("T/add", "    return a + b\n"), new("T/add", "    return a - b\n"), new("T/add", "    return b + a\n"),
            new("T/add", "    while True:\n        pass\n"),
            new("T/rev", "    return s[::-1]\n"), new("T/rev", "    raise RuntimeError('no')\n"), new("T/rev", "    return s[::-1\n"),
            new("T/rev", "    return s\n"),
        ];
        var progress = new List<CodeEvaluationProgress>();
        var result = await CodeEvaluator.EvaluateAsync([Add, Reverse], samples, [1, 2, 4, 5], CodeSandboxTests.ShortLimits,
            new Inline(progress.Add));

        Assert.Equal([true, false, true, false, true, false, false, false], result.Samples.Select(s => s.Passed));
        Assert.Equal(SandboxVerdict.TimedOut, result.Samples[3].Result.Verdict);
        Assert.Equal("timed out", result.Samples[3].Summary);
        Assert.Equal("failed: RuntimeError: no", result.Samples[5].Summary);
        Assert.Equal(new PassCount(4, 2), result.Counts["T/add"]);
        Assert.Equal(new PassCount(4, 1), result.Counts["T/rev"]);
        // add: n=4, c=2; rev: n=4, c=1. pass@1 = (2/4 + 1/4)/2; pass@2 = ((1 − C(2,2)/C(4,2)) + (1 − C(3,2)/C(4,2)))/2.
        Assert.Equal(0.375, result.PassAtK.Values[1], 15);
        Assert.Equal(((1 - 1.0 / 6) + (1 - 3.0 / 6)) / 2, result.PassAtK.Values[2], 15);
        Assert.Equal(1.0, result.PassAtK.Values[4], 15);
        Assert.Equal([5], result.PassAtK.NotComputable);
        Assert.Empty(result.TasksWithoutSamples);
        Assert.Equal(samples.Length, progress.Count);
        Assert.Equal(samples.Length, progress.Max(p => p.Finished));
    }

    [Fact]
    public async Task ASampleForAnUnknownTaskIsRefused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            CodeEvaluator.EvaluateAsync([Add], [new HumanEvalSample("T/none", "")], [1], CodeSandboxTests.ShortLimits));
        Assert.Contains("\"T/none\", which is not among the problems", error.Message);
    }

    private sealed class Inline(Action<CodeEvaluationProgress> report) : IProgress<CodeEvaluationProgress>
    {
        public void Report(CodeEvaluationProgress value)
        {
            lock (this) report(value);
        }
    }
}

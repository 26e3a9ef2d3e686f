namespace Gpt.Sdk.Evaluation;

/// <summary>The outcome of <see cref="CodeEvaluator.EvaluateAsync(IReadOnlyList{HumanEvalProblem}, IReadOnlyList{HumanEvalSample}, IEnumerable{int}, CodeSandbox, IProgress{CodeEvaluationProgress}?, CancellationToken)"/>.</summary>
/// <param name="Samples">Each sample's result, in the samples' order.</param>
/// <param name="Counts">Samples and passing samples per task id, for the problems that have samples.</param>
/// <param name="PassAtK">pass@k averaged over those problems.</param>
/// <param name="TasksWithoutSamples">Problems no sample answers: left out of the averages.</param>
public sealed record CodeEvaluationResult(
    IReadOnlyList<CodeSampleResult> Samples,
    IReadOnlyDictionary<string, PassCount> Counts,
    PassAtKReport PassAtK,
    IReadOnlyList<string> TasksWithoutSamples);

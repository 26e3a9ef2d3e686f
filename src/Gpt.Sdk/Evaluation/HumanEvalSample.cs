namespace Gpt.Sdk.Evaluation;

/// <summary>One sample in the HumanEval format: a completion of a problem's prompt.</summary>
/// <param name="TaskId">The problem it answers.</param>
/// <param name="Completion">The code that follows the prompt.</param>
public sealed record HumanEvalSample(string TaskId, string Completion);

namespace Gpt.Sdk.Evaluation;

/// <summary>How far a code evaluation is.</summary>
/// <param name="Finished">Samples run so far.</param>
/// <param name="Total">Samples to run.</param>
public readonly record struct CodeEvaluationProgress(int Finished, int Total);

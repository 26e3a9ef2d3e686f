namespace Gpt.Sdk.Evaluation;

/// <summary>A report after each batch of log-likelihood requests.</summary>
/// <param name="Completed">Requests scored so far.</param>
/// <param name="Total">Requests in the run.</param>
/// <param name="Elapsed">Wall time since the run started.</param>
public readonly record struct ScoringProgress(int Completed, int Total, TimeSpan Elapsed);

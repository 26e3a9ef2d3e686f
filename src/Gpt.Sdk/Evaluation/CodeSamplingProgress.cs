namespace Gpt.Sdk.Evaluation;

/// <summary>How far sampling is.</summary>
/// <param name="SamplesWritten">Samples in the file so far (those from earlier runs included).</param>
/// <param name="SamplesWanted">Samples the run ends with: problems × n.</param>
/// <param name="TaskId">The problem just sampled.</param>
public readonly record struct CodeSamplingProgress(int SamplesWritten, int SamplesWanted, string TaskId);

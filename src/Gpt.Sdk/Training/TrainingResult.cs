namespace Gpt.Sdk.Training;

/// <summary>How a training run ended.</summary>
/// <param name="Steps">Optimizer steps completed in total (a resumed run counts from the checkpoint's start).</param>
/// <param name="FinalLoss">Training loss of the last step.</param>
/// <param name="ValidationLoss">Validation loss measured at the end, when a validation set was given.</param>
/// <param name="SkippedSteps">Steps whose update was skipped because of a non-finite loss or gradient.</param>
/// <param name="Elapsed">Wall time of this run.</param>
public sealed record TrainingResult(int Steps, float FinalLoss, float? ValidationLoss, int SkippedSteps, TimeSpan Elapsed);

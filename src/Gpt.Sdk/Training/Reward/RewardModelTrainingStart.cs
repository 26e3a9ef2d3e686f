namespace Gpt.Sdk.Training;

/// <summary>A reward-model run that is ready and about to take its first step (see <see cref="RewardModelTraining.OnStarting"/>).</summary>
/// <param name="Train">The preferences trained on.</param>
/// <param name="Evaluation">The preferences evaluated on (held out, or read from the evaluation data), or null.</param>
/// <param name="SkippedLines">The 1-based lines of the training data left out for being longer than the sequence length.</param>
/// <param name="SkippedEvaluationLines">The same for separate evaluation data.</param>
/// <param name="ResumedFromStep">The step restored from the output folder's checkpoint, or null for a fresh run.</param>
/// <param name="Options">The run's validated hyper-parameters.</param>
public sealed record RewardModelTrainingStart(
    PreferenceDataset Train,
    PreferenceDataset? Evaluation,
    IReadOnlyList<int> SkippedLines,
    IReadOnlyList<int> SkippedEvaluationLines,
    int? ResumedFromStep,
    TrainingOptions Options);

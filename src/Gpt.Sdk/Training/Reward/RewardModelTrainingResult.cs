namespace Gpt.Sdk.Training;

/// <summary>What a reward-model run produced.</summary>
/// <param name="Training">Steps, final loss and held-out loss of the run.</param>
/// <param name="Evaluation">The last evaluation's metrics: <c>accuracy</c> (held-out pairwise accuracy) and <c>margin</c>;
/// empty without held-out data.</param>
/// <param name="RewardModel">The trained reward model, on the model that was trained (dispose it: it owns the head).</param>
/// <param name="OutputDirectory">The reward model folder the run saved, or null.</param>
/// <param name="SkippedExamples">Preference lines skipped for being longer than the sequence length (held-out ones included).</param>
public sealed record RewardModelTrainingResult(
    TrainingResult Training,
    IReadOnlyDictionary<string, double> Evaluation,
    RewardModel RewardModel,
    string? OutputDirectory,
    int SkippedExamples);

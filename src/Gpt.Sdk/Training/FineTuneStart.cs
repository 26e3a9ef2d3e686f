namespace Gpt.Sdk.Training;

/// <summary>A fine-tuning run that is ready and about to take its first step (see <see cref="FineTune.OnStarting"/>).</summary>
/// <param name="Train">The examples trained on.</param>
/// <param name="Evaluation">The examples evaluated on (held out from the training data, or read from the evaluation data),
/// or null when the run does not evaluate.</param>
/// <param name="SkippedLines">The 1-based lines (in-memory example numbers) of the training data left out for being longer
/// than the sequence length; held-out examples are counted here too, as they came from the same file.</param>
/// <param name="SkippedEvaluationLines">The same for separate evaluation data (empty when the evaluation set is held out).</param>
/// <param name="ResumedFromStep">The step restored from the output folder's checkpoint, or null for a fresh run.</param>
/// <param name="Options">The run's validated hyper-parameters.</param>
public sealed record FineTuneStart(
    SftDataset Train,
    SftDataset? Evaluation,
    IReadOnlyList<int> SkippedLines,
    IReadOnlyList<int> SkippedEvaluationLines,
    int? ResumedFromStep,
    TrainingOptions Options);

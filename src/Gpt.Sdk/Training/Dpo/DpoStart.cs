namespace Gpt.Sdk.Training;

/// <summary>A DPO run that is ready and about to take its first step (see <see cref="Dpo.OnStarting"/>): the data is loaded,
/// the reference log-probabilities computed, the adapter added and the checkpoint, if any, restored.</summary>
/// <param name="Train">The pairs trained on.</param>
/// <param name="Evaluation">The pairs evaluated on (held out from the training data, or read from the evaluation data), or
/// null when evaluation reads the training data.</param>
/// <param name="SkippedLines">The 1-based lines (in-memory example numbers) of the training data left out for being longer
/// than the sequence length; held-out ones are counted here too, as they came from the same file.</param>
/// <param name="SkippedEvaluationLines">The same for separate evaluation data (empty when the evaluation set is held out).</param>
/// <param name="ResumedFromStep">The step restored from the output folder's checkpoint, or null for a fresh run.</param>
/// <param name="Options">The run's validated hyper-parameters (<see cref="TrainingOptions.BatchSize"/> counts prompts).</param>
/// <param name="Loss">The validated loss settings.</param>
public sealed record DpoStart(
    PreferenceDataset Train,
    PreferenceDataset? Evaluation,
    IReadOnlyList<int> SkippedLines,
    IReadOnlyList<int> SkippedEvaluationLines,
    int? ResumedFromStep,
    TrainingOptions Options,
    DpoOptions Loss);

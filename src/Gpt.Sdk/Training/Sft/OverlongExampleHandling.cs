namespace Gpt.Sdk.Training;

/// <summary>
/// What to do with an example longer than the context. An example of n tokens trains n − 1
/// (input, next-token target) pairs, so it fits a sequence length T when n − 1 ≤ T.
/// </summary>
/// <remarks>There is deliberately no "truncate": cutting the end of an example cuts its answer, and the
/// model would learn replies that stop mid-sentence.</remarks>
public enum OverlongExampleHandling
{
    /// <summary>Leave the example out; <see cref="SftDataset.SkippedCount"/> and <see cref="SftDataset.SkippedLines"/> report it.</summary>
    Skip,

    /// <summary>Throw an <see cref="TrainingDataException"/> naming the example and its length against the limit.</summary>
    Refuse,
}

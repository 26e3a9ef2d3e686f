namespace Gpt.Sdk.Tokenization;

/// <summary>Where <see cref="BpeTrainer"/> is, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Stage">The stage running.</param>
/// <param name="Completed">Counting: characters read so far. Merging: merges learned so far.</param>
/// <param name="Total">Counting: characters in all (0 when the input is a stream of unknown length). Merging: merges wanted.</param>
public readonly record struct BpeTrainingProgress(BpeTrainingStage Stage, long Completed, long Total);

/// <summary>The stages of <see cref="BpeTrainer"/> training.</summary>
public enum BpeTrainingStage
{
    /// <summary>Splitting the corpus with GPT-2's pattern and counting each distinct piece.</summary>
    CountingWords,

    /// <summary>Merging the most frequent adjacent pair, again and again.</summary>
    Merging,
}

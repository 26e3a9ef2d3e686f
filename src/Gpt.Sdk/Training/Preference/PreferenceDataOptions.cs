namespace Gpt.Sdk.Training;

/// <summary>How preference data becomes token sequences.</summary>
public sealed record PreferenceDataOptions
{
    /// <summary>The most tokens a prompt plus one response (plus the end token) may take: at most the model's context.</summary>
    public required int SequenceLength { get; init; }

    /// <summary>The model's vocabulary size; null for the tokenizer's. Every token id must be below it.</summary>
    public int? VocabularySize { get; init; }

    /// <summary>What to do with a line whose prompt plus any of its responses is longer than <see cref="SequenceLength"/>.
    /// Default <see cref="OverlongExampleHandling.Skip"/> (the whole line is left out and listed).</summary>
    public OverlongExampleHandling OverlongExamples { get; init; } = OverlongExampleHandling.Skip;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public PreferenceDataOptions Validate()
    {
        if (SequenceLength < 2)
            throw new ArgumentException($"SequenceLength must be at least 2, got {SequenceLength}; use the model's context length or less.");
        if (VocabularySize is <= 0)
            throw new ArgumentException($"VocabularySize must be positive, got {VocabularySize}; use the model's vocabulary size, or null for the tokenizer's.");
        if (!Enum.IsDefined(OverlongExamples))
            throw new ArgumentException($"OverlongExamples must be Skip or Refuse, got {(int)OverlongExamples}.");
        return this;
    }
}

namespace Gpt.Sdk.Tokenization;

/// <summary>What <see cref="BpeTrainer"/> learns: how many tokens, which special tokens, and when to stop early.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>
    /// Number of token ids wanted, counting the 256 byte tokens and <see cref="SpecialTokens"/>; at
    /// least 256 + the special tokens. Training stops earlier when no pair is frequent enough.
    /// </summary>
    public required int VocabularySize { get; init; }

    /// <summary>Special tokens, given the last ids in this order. Default: <c>&lt;|endoftext|&gt;</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [WellKnownSpecialTokens.EndOfText];

    /// <summary>A pair seen fewer times than this is never merged (default 2: a merge must be used twice to save anything).</summary>
    public int MinPairFrequency { get; init; } = 2;

    internal void Validate()
    {
        if (SpecialTokens is null) throw new ArgumentException("SpecialTokens must not be null; use an empty list for none.");
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in SpecialTokens)
        {
            if (string.IsNullOrEmpty(token)) throw new ArgumentException("a special token must not be null or empty.");
            if (!distinct.Add(token)) throw new ArgumentException($"special token '{token}' is listed twice.");
        }
        int least = 256 + SpecialTokens.Count;
        if (VocabularySize < least)
            throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize,
                $"the vocabulary needs at least {least} ids: 256 byte tokens plus {SpecialTokens.Count} special tokens.");
        if (MinPairFrequency < 1)
            throw new ArgumentOutOfRangeException(nameof(MinPairFrequency), MinPairFrequency, "must be at least 1.");
    }
}

using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Training;

/// <summary>How supervised fine-tuning examples become token sequences with a loss mask.</summary>
public sealed record SftDataOptions
{
    /// <summary>Tokens per training row (T), at most the model's context. An example of n tokens fits when n − 1 ≤ T.</summary>
    public required int SequenceLength { get; init; }

    /// <summary>The model's vocabulary size; null for the tokenizer's. It chooses the default chat template
    /// (<see cref="ChatTemplate.For"/>) and every token id must be below it.</summary>
    public int? VocabularySize { get; init; }

    /// <summary>The layout of <c>messages</c> examples; null for <see cref="ChatTemplate.For"/>(tokenizer, vocabulary size).
    /// Use the template the model will be prompted with.</summary>
    public ChatTemplate? ChatTemplate { get; init; }

    /// <summary>True to put loss on every token (prompts and other speakers included) instead of only on
    /// completions and assistant messages. Default false.</summary>
    public bool TrainOnAllTokens { get; init; }

    /// <summary>What to do with an example longer than <see cref="SequenceLength"/>. Default <see cref="OverlongExampleHandling.Skip"/>.</summary>
    public OverlongExampleHandling OverlongExamples { get; init; } = OverlongExampleHandling.Skip;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public SftDataOptions Validate()
    {
        if (SequenceLength <= 0)
            throw new ArgumentException($"SequenceLength must be positive, got {SequenceLength}; use the model's context length or less.");
        if (VocabularySize is <= 0)
            throw new ArgumentException($"VocabularySize must be positive, got {VocabularySize}; use the model's vocabulary size, or null for the tokenizer's.");
        if (!Enum.IsDefined(OverlongExamples))
            throw new ArgumentException($"OverlongExamples must be Skip or Refuse, got {(int)OverlongExamples}.");
        return this;
    }
}

namespace Gpt.Sdk.Retrieval;

/// <summary>How <see cref="TextChunker"/> cuts a text: chunk size and overlap in tokens, and how far it may move a cut
/// back to land between words.</summary>
public sealed record TextChunkerOptions
{
    /// <summary>The most tokens in one chunk (default 256); at least 1.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Tokens each chunk shares with the one before it (default 32); at least 0 and below <see cref="MaxTokens"/>.</summary>
    public int OverlapTokens { get; init; } = 32;

    /// <summary>How many tokens a cut may move back from <see cref="MaxTokens"/> to fall at a sentence end or, failing
    /// that, between words (default: a quarter of <see cref="MaxTokens"/>); 0 always cuts at exactly
    /// <see cref="MaxTokens"/>. A cut never moves so far back that the next chunk would not advance past the overlap.</summary>
    public int? BoundarySearchTokens { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its value.</summary>
    /// <returns>These options.</returns>
    public TextChunkerOptions Validate()
    {
        if (MaxTokens < 1)
            throw new ArgumentException($"the chunk size must be at least 1 token, got {MaxTokens}.", nameof(MaxTokens));
        if (OverlapTokens < 0)
            throw new ArgumentException($"the overlap must be 0 or more tokens, got {OverlapTokens}.", nameof(OverlapTokens));
        if (OverlapTokens >= MaxTokens)
            throw new ArgumentException(
                $"the overlap ({OverlapTokens} tokens) must be smaller than the chunk size ({MaxTokens} tokens), or no chunk would get past the one before it.",
                nameof(OverlapTokens));
        if (BoundarySearchTokens < 0)
            throw new ArgumentException($"the boundary search must be 0 or more tokens, got {BoundarySearchTokens}.", nameof(BoundarySearchTokens));
        return this;
    }

    internal int BoundarySearch => BoundarySearchTokens ?? MaxTokens / 4;
}

namespace Gpt.Sdk.Embeddings;

/// <summary>How contrastive training data is read.</summary>
public sealed record ContrastiveDataOptions
{
    /// <summary>Tokens per chunk when pairs come from plain text (<see cref="ContrastiveTraining.OnTextPairs"/>): neighbouring
    /// chunks of this length are a positive pair (cpt-text's unsupervised recipe). Default 64.</summary>
    public int TextChunkTokens { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public ContrastiveDataOptions Validate()
    {
        if (TextChunkTokens <= 0) throw new ArgumentException($"TextChunkTokens must be positive, got {TextChunkTokens}.");
        return this;
    }
}

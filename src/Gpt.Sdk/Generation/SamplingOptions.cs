namespace Gpt.Sdk.Generation;

/// <summary>How the next token is chosen from the model's logits.</summary>
public sealed record SamplingOptions
{
    /// <summary>Divides the logits; lower is more deterministic. 0 means greedy (always the most likely token).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens before sampling; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Number of tokens to generate.</summary>
    public int MaxTokens { get; init; } = 100;

    /// <summary>Seed of the sampling RNG: equal seeds give equal text.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number >= 0 (0 = greedy), got {Temperature}.");
        if (TopK < 0) throw new ArgumentException($"top-k must be >= 0 (0 = all tokens), got {TopK}.");
        if (MaxTokens < 0) throw new ArgumentException($"max tokens must be >= 0, got {MaxTokens}.");
        return this;
    }
}

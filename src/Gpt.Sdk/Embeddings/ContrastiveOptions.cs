namespace Gpt.Sdk.Embeddings;

/// <summary>The contrastive loss and how a batch is computed. Pairs per batch are <see cref="Training.TrainingOptions.BatchSize"/>.</summary>
public sealed record ContrastiveOptions
{
    /// <summary>τ in q̂·d̂/τ: the initial value when <see cref="LearnTemperature"/>, the fixed one otherwise. 0.05 as
    /// sentence-transformers' scale of 20.</summary>
    public float Temperature { get; init; } = 0.05f;

    /// <summary>True to learn τ as a log-scale parameter (a one-element segment, no weight decay), as CLIP and cpt-text do.</summary>
    public bool LearnTemperature { get; init; }

    /// <summary>Rows (texts) per forward pass with the graph kept: the batch's queries, positives and negatives are embedded
    /// in chunks this large and their gradients cached (GradCache), so the batch size is bounded by time, not memory.
    /// 0 runs the whole batch in one pass.</summary>
    public int ChunkSize { get; init; }

    /// <summary>Hard negatives taken per pair (its first ones); −1 for all.</summary>
    public int MaxNegativesPerPair { get; init; } = -1;

    /// <summary>Checks the values and returns these options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message says which.</exception>
    public ContrastiveOptions Validate()
    {
        if (!(Temperature > 0) || !float.IsFinite(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "the temperature must be a positive number, such as 0.05.");
        if (ChunkSize < 0) throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "the chunk size must be positive, or 0 for the whole batch in one pass.");
        if (MaxNegativesPerPair < -1) throw new ArgumentOutOfRangeException(nameof(MaxNegativesPerPair), MaxNegativesPerPair, "use −1 for all negatives, or a count.");
        return this;
    }
}

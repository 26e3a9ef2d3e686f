namespace Gpt.Sdk.Training;

/// <summary>Language modelling's batches: random windows of a token corpus with next-token targets
/// (drawn from a counter-based RNG, so the data position alone resumes the order), as an <see cref="ITokenBatchSource"/>.</summary>
public sealed class TokenWindowSource : ITokenBatchSource
{
    private readonly BatchSampler _sampler;
    private readonly TokenDataset _data;
    private readonly ulong _seed;

    /// <summary>Windows of <paramref name="sequenceLength"/> tokens, <paramref name="batchSize"/> per batch.</summary>
    /// <param name="data">The corpus; at least sequenceLength + 1 tokens.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="sequenceLength">T.</param>
    /// <param name="seed">Seed of the window order.</param>
    public TokenWindowSource(TokenDataset data, int batchSize, int sequenceLength, ulong seed)
    {
        _sampler = new BatchSampler(data, batchSize, sequenceLength, seed);
        _data = data;
        _seed = seed;
    }

    /// <inheritdoc />
    public int BatchSize => _sampler.BatchSize;

    /// <inheritdoc />
    public int SequenceLength => _sampler.SequenceLength;

    /// <inheritdoc />
    public int? BatchesPerEpoch => null;

    /// <summary>Windows drawn so far.</summary>
    public ulong Position
    {
        get => _sampler.Position;
        set => _sampler.Position = value;
    }

    /// <inheritdoc />
    public TokenBatch CreateBatch()
    {
        var batch = new TokenBatch(BatchSize, SequenceLength);
        batch.ResetLayout();
        return batch;
    }

    /// <inheritdoc />
    public void Next(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _sampler.Next(batch.Inputs, batch.Targets);
    }

    /// <inheritdoc />
    public ITokenBatchSource Shard(int rank, int ranks) =>
        new ShardedBatchSource(new TokenWindowSource(_data, BatchSize * ranks, SequenceLength, _seed), rank, ranks);
}

namespace Gpt.Sdk.Training;

/// <summary>
/// One rank's share of a global batch stream: every rank draws the same global batch (ranks × B rows) from the same seeded
/// source and keeps rows [rank·B, (rank + 1)·B), so N ranks of batch B see exactly the batches one process of batch N·B
/// sees, and the position (the global source's) is the same on every rank.
/// </summary>
internal sealed class ShardedBatchSource : ITokenBatchSource
{
    private readonly ITokenBatchSource _global;
    private readonly TokenBatch _globalBatch;
    private readonly int _rank, _ranks;

    /// <summary>Shards <paramref name="global"/>, whose batch size is a multiple of <paramref name="ranks"/>.</summary>
    public ShardedBatchSource(ITokenBatchSource global, int rank, int ranks)
    {
        _global = global ?? throw new ArgumentNullException(nameof(global));
        if (ranks < 1 || rank < 0 || rank >= ranks) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not a rank of {ranks}.");
        if (global.BatchSize % ranks != 0)
            throw new ArgumentException($"a global batch of {global.BatchSize} rows cannot be split evenly over {ranks} ranks.", nameof(global));
        _rank = rank;
        _ranks = ranks;
        BatchSize = global.BatchSize / ranks;
        _globalBatch = global.CreateBatch();
    }

    public int BatchSize { get; }

    public int SequenceLength => _global.SequenceLength;

    public int? BatchesPerEpoch => _global.BatchesPerEpoch;

    public ulong Position
    {
        get => _global.Position;
        set => _global.Position = value;
    }

    /// <summary>This shard's weight in the global batch's mean loss: ranks × (its counted targets) / (the global batch's),
    /// so that the average over ranks of weight × shard mean is the global batch's mean, as one process would compute it
    /// (1 when every row counts alike, as for corpus windows; 0 for a shard of padding only).</summary>
    public float LossWeight { get; private set; } = 1f;

    public TokenBatch CreateBatch()
    {
        var batch = new TokenBatch(BatchSize, SequenceLength, _globalBatch.SegmentStarts is not null);
        batch.ResetLayout();
        return batch;
    }

    public void Next(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _global.Next(_globalBatch);
        int n = BatchSize * SequenceLength, from = _rank * n;
        _globalBatch.Inputs.AsSpan(from, n).CopyTo(batch.Inputs);
        _globalBatch.Targets.AsSpan(from, n).CopyTo(batch.Targets);
        _globalBatch.Positions.AsSpan(from, n).CopyTo(batch.Positions);
        if (_globalBatch.SegmentStarts is { } starts) starts.AsSpan(from, n).CopyTo(batch.SegmentStarts);
        int local = batch.CountedTargets, global = _globalBatch.CountedTargets;
        LossWeight = local * _ranks == global ? 1f : (float)((double)local * _ranks / global);
    }

    public ITokenBatchSource Shard(int rank, int ranks) =>
        throw new InvalidOperationException("this batch source is already one rank's shard.");
}

using Gpt.Kernels.Random;

namespace Gpt.Sdk.Training;

/// <summary>
/// Batches of fine-tuning examples: B rows of T tokens, each example laid out as inputs x0 .. x(n−2) with
/// targets x(i+1) where the loss mask is set and −1 elsewhere.
/// <list type="bullet">
/// <item>Unpacked (default): one example per row, padded with <see cref="PaddingId"/> (target −1); positions
/// 0 .. T−1; <see cref="TokenBatch.SegmentStarts"/> is null. Padding follows the example, so causal attention
/// keeps it out of the example's view.</item>
/// <item>Packed: examples placed greedily, in the epoch's order, into rows, as many as fit; an example never
/// straddles two rows. Each example's positions restart at 0 and its <see cref="TokenBatch.SegmentStarts"/>
/// entries hold its first token's index in the row; its last input's target is its own last token, never the
/// next example's. Padding at a row's end is a segment of its own with targets −1.</item>
/// </list>
/// Each epoch visits every example once, in a permutation drawn from (seed, epoch). <see cref="Position"/>
/// counts examples consumed, so the stream is a pure function of the seed and the position, and a run
/// resumed at a stored position continues identically.
/// </summary>
/// <remarks>
/// A batch never mixes two epochs: the last batch of an epoch holds what is left, the remaining rows
/// being padding. So <see cref="BatchesPerEpoch"/> batches from the start of an epoch read each example
/// exactly once, which is what evaluation on a held-out set needs. Not thread-safe.
/// </remarks>
public sealed class SftBatchSource : ITokenBatchSource
{
    /// <summary>The input id of padding. Any valid id would do: padding carries no loss and no example attends to it.</summary>
    public const int PaddingId = 0;

    // The data order's own stream, so it is independent of other draws from the same seed (the split, init).
    private const ulong OrderStream = 0x0D3E;

    private readonly TokenizedExample[] _examples;
    private readonly CounterRng _orderRng;
    private ulong _orderEpoch = ulong.MaxValue;
    private int[] _order = [];
    private ulong _countEpoch = ulong.MaxValue;
    private int _count;

    /// <summary>Creates a source of <paramref name="batchSize"/> rows of the dataset's sequence length.</summary>
    /// <param name="dataset">The examples.</param>
    /// <param name="batchSize">Rows per batch (B).</param>
    /// <param name="seed">Seed of the example order.</param>
    /// <param name="pack">True to pack several examples per row (<see cref="TokenBatch.SegmentStarts"/> set).</param>
    public SftBatchSource(SftDataset dataset, int batchSize, ulong seed, bool pack = false)
    {
        Dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        SequenceLength = dataset.SequenceLength;
        Seed = seed;
        Pack = pack;
        _examples = [.. dataset.Examples];
        _orderRng = new CounterRng(seed).Fork(OrderStream);
    }

    /// <summary>The examples batched.</summary>
    public SftDataset Dataset { get; }

    /// <inheritdoc />
    public int BatchSize { get; }

    /// <summary>Tokens per row (T): the dataset's sequence length.</summary>
    public int SequenceLength { get; }

    /// <summary>Seed of the example order.</summary>
    public ulong Seed { get; }

    /// <summary>True when several examples share a row.</summary>
    public bool Pack { get; }

    /// <summary>
    /// Examples consumed since the start of epoch 0: epoch = Position / Count, and the next batch starts with
    /// the (Position mod Count)-th example of that epoch's order. A value read from here is a batch boundary;
    /// setting it resumes the stream exactly there.
    /// </summary>
    public ulong Position { get; set; }

    /// <summary>The epoch the next batch comes from (Position / Count).</summary>
    public ulong Epoch => Position / (ulong)_examples.Length;

    /// <summary>
    /// Batches in the epoch the next batch comes from (<see cref="BatchesInEpoch"/> of <see cref="Epoch"/>); never
    /// null. Read from the start of an epoch, that many batches hold every example exactly once.
    /// </summary>
    public int? BatchesPerEpoch => BatchesInEpoch(Epoch);

    /// <summary>
    /// Batches in one epoch: ceil(Count / B) unpacked; packed, ceil(rows / B) where rows is the number of rows the
    /// greedy packing of that epoch's order fills, which varies a little from epoch to epoch.
    /// </summary>
    /// <param name="epoch">The epoch.</param>
    public int BatchesInEpoch(ulong epoch)
    {
        int n = _examples.Length;
        if (!Pack) return (n + BatchSize - 1) / BatchSize;
        if (_countEpoch != epoch)
        {
            int[] order = Order(epoch);
            int rows = 0, k = 0;
            while (k < n)
            {
                int used = 0;
                while (k < n && used + _examples[order[k]].PairCount <= SequenceLength) used += _examples[order[k++]].PairCount;
                rows++;
            }
            _count = (rows + BatchSize - 1) / BatchSize;
            _countEpoch = epoch;
        }
        return _count;
    }

    /// <inheritdoc />
    public TokenBatch CreateBatch() => new(BatchSize, SequenceLength, Pack);

    /// <inheritdoc />
    public void Next(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.BatchSize != BatchSize || batch.SequenceLength != SequenceLength || (batch.SegmentStarts is not null) != Pack)
            throw new ArgumentException(
                $"the batch is {batch.BatchSize} × {batch.SequenceLength}{(batch.SegmentStarts is null ? "" : " packed")}, but this source fills " +
                $"{BatchSize} × {SequenceLength}{(Pack ? " packed" : "")} batches; make the batch with CreateBatch().", nameof(batch));

        int n = _examples.Length, t = SequenceLength;
        ulong epoch = Epoch;
        int k = (int)(Position % (ulong)n);
        int[] order = Order(epoch);
        int counted = 0;
        for (int row = 0; row < BatchSize; row++)
        {
            int offset = row * t, used = 0;
            // Greedy: the next example goes in this row if it fits, else the row is closed. Unpacked rows take one.
            while (k < n && used + _examples[order[k]].PairCount <= t && (Pack || used == 0))
            {
                var example = _examples[order[k++]];
                counted += Write(batch, example, offset, used);
                used += example.PairCount;
            }
            Pad(batch, offset, used);
        }
        // Every example carries a target (the dataset guarantees it) and every batch holds one, so this
        // is a broken invariant, not data to train on: a zero-target batch would divide the loss by zero.
        if (counted == 0)
            throw new InvalidOperationException(
                $"the batch at position {Position} has no target that carries loss; an example's loss mask was changed after loading. Reload the dataset.");
        Position = epoch * (ulong)n + (ulong)k;
    }

    /// <inheritdoc />
    public ITokenBatchSource Shard(int rank, int ranks) => new ShardedBatchSource(new SftBatchSource(Dataset, BatchSize * ranks, Seed, Pack), rank, ranks);

    /// <summary>Writes one example at <paramref name="start"/> of the row at <paramref name="offset"/>; returns its loss-carrying targets.</summary>
    private int Write(TokenBatch batch, TokenizedExample example, int offset, int start)
    {
        int[] x = example.Tokens;
        bool[] m = example.LossMask;
        int pairs = example.PairCount, counted = 0;
        for (int i = 0; i < pairs; i++)
        {
            int at = offset + start + i;
            batch.Inputs[at] = x[i];
            batch.Targets[at] = m[i + 1] ? x[i + 1] : -1;
            if (m[i + 1]) counted++;
            batch.Positions[at] = i;   // start is 0 when unpacked, so this is also the row position
            if (batch.SegmentStarts is { } segments) segments[at] = start;
        }
        return counted;
    }

    /// <summary>Fills the row from <paramref name="used"/> to its end with padding. Unpacked, positions run on to T − 1;
    /// packed, the padding is a segment of its own starting at position 0.</summary>
    private void Pad(TokenBatch batch, int offset, int used)
    {
        for (int i = used; i < SequenceLength; i++)
        {
            int at = offset + i;
            batch.Inputs[at] = PaddingId;
            batch.Targets[at] = -1;
            batch.Positions[at] = Pack ? i - used : i;
            if (batch.SegmentStarts is { } segments) segments[at] = used;
        }
    }

    /// <summary>The permutation of epoch <paramref name="epoch"/>: drawn from a stream keyed by (seed, epoch), cached.</summary>
    private int[] Order(ulong epoch)
    {
        if (_orderEpoch != epoch)
        {
            _order = SftDataset.Permutation(_examples.Length, _orderRng.Fork(epoch));
            _orderEpoch = epoch;
        }
        return _order;
    }
}

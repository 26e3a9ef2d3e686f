using Gpt.Kernels.Random;

namespace Gpt.Sdk.Training;

/// <summary>
/// Cuts random (input, next-token target) windows from a dataset. The n-th window's start is a pure
/// function of (seed, n), so the sampler's whole state is <see cref="Position"/>: a checkpoint that
/// stores it resumes the exact same data order.
/// </summary>
internal sealed class BatchSampler
{
    private readonly TokenDataset _data;
    private CounterRng _rng;

    /// <summary>Creates a sampler of <paramref name="batchSize"/> windows of <paramref name="sequenceLength"/> tokens.</summary>
    /// <param name="data">The tokens; at least sequenceLength + 1 of them.</param>
    /// <param name="batchSize">Windows per batch (B).</param>
    /// <param name="sequenceLength">Tokens per window (T).</param>
    /// <param name="seed">Seed of the data order.</param>
    public BatchSampler(TokenDataset data, int batchSize, int sequenceLength, ulong seed)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        if (data.Length < sequenceLength + 1)
            throw new ArgumentException(
                $"the dataset has {data.Length} tokens, but a window of {sequenceLength} tokens plus its next-token target needs at least {sequenceLength + 1}; " +
                "use more data or a shorter sequence length.", nameof(data));
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _rng = new CounterRng(seed);
    }

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per window.</summary>
    public int SequenceLength { get; }

    /// <summary>Number of windows drawn so far (the data position a checkpoint stores).</summary>
    public ulong Position
    {
        get => _rng.Counter;
        set => _rng.Counter = value;
    }

    /// <summary>Fills the next batch: inputs (B, T) and targets (B, T), targets being inputs shifted by one.</summary>
    /// <param name="inputs">B×T ids.</param>
    /// <param name="targets">B×T ids.</param>
    public void Next(Span<int> inputs, Span<int> targets)
    {
        int t = SequenceLength;
        if (inputs.Length != BatchSize * t || targets.Length != BatchSize * t)
            throw new ArgumentException($"inputs and targets must each hold {BatchSize} × {t} ids.");
        ulong windows = (ulong)(_data.Length - t);   // valid starts: [0, Length − T − 1]
        Span<int> window = t + 1 <= 4096 ? stackalloc int[t + 1] : new int[t + 1];
        for (int b = 0; b < BatchSize; b++)
        {
            long start = (long)Math.BigMul(_rng.NextUInt64(), windows, out _);
            _data.Read(start, window);
            window[..t].CopyTo(inputs.Slice(b * t, t));
            window[1..].CopyTo(targets.Slice(b * t, t));
        }
    }
}

using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Nn;

/// <summary>
/// The keys and values of the positions a model has already seen, per layer, so that decoding a new
/// token costs one position's work instead of recomputing the whole prefix
/// (<see cref="GptModel.ForwardCached(Tensors.Tape, KvCache, ReadOnlySpan{int}, bool, Lora.LoraAdapter?)"/>). It holds
/// <see cref="Batch"/> independent rows (sequences) of up to <see cref="Capacity"/> positions each;
/// rows may hold different lengths. Owned by one request at a time (not thread-safe); dispose it to
/// free its memory. Layout, one buffer: (layers, keys|values, B, NH, L, HS).
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly DeviceBuffer<float> _buffer;
    private readonly int[] _lengths;
    private readonly long _rowFloats; // NH × L × HS: one row of one layer's keys (or values)

    /// <summary>Allocates an empty cache for <paramref name="config"/>'s shape.</summary>
    /// <param name="config">The model's shape (layers, heads, head size, context).</param>
    /// <param name="device">Where the cache lives: the model's device.</param>
    /// <param name="batch">Rows (sequences), at least 1.</param>
    /// <param name="capacity">Positions per row, 1 .. the model's context length.</param>
    public KvCache(GptConfig config, Device device, int batch, int capacity)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(device);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "a cache needs at least one row.");
        if (capacity < 1 || capacity > config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"capacity must be in [1, {config.ContextLength}] (the model's context length).");
        LayerCount = config.LayerCount;
        HeadCount = config.HeadCount;
        HeadSize = config.HeadSize;
        Batch = batch;
        Capacity = capacity;
        Device = device;
        _rowFloats = (long)HeadCount * capacity * HeadSize;
        _buffer = device.Allocate<float>(LayerCount * 2L * batch * _rowFloats);
        _lengths = new int[batch];
    }

    /// <summary>Rows (independent sequences).</summary>
    public int Batch { get; }

    /// <summary>Positions each row can hold.</summary>
    public int Capacity { get; }

    /// <summary>Transformer blocks the cache serves.</summary>
    public int LayerCount { get; }

    /// <summary>Attention heads per block.</summary>
    public int HeadCount { get; }

    /// <summary>Width of one head.</summary>
    public int HeadSize { get; }

    /// <summary>The device holding the cache.</summary>
    public Device Device { get; }

    /// <summary>Bytes of device memory the cache holds.</summary>
    public long Bytes => _buffer.Length * sizeof(float);

    /// <summary>Positions row <paramref name="row"/> holds: the next token fed to it sits at this position.</summary>
    /// <param name="row">A row, 0 .. <see cref="Batch"/> − 1.</param>
    public int Length(int row) => _lengths[CheckRow(row)];

    /// <summary>Forgets the positions of row <paramref name="row"/> from <paramref name="length"/> on (rewinds it),
    /// so a shared prefix is kept and a different continuation can be fed.</summary>
    /// <param name="row">A row.</param>
    /// <param name="length">The new length, 0 .. the current length.</param>
    public void Truncate(int row, int length)
    {
        if (length < 0 || length > _lengths[CheckRow(row)])
            throw new ArgumentOutOfRangeException(nameof(length), length, $"row {row} holds {_lengths[row]} positions; it can be cut to 0 .. {_lengths[row]}.");
        _lengths[row] = length;
    }

    /// <summary>Copies the first <paramref name="length"/> positions of a row of <paramref name="source"/> into row
    /// <paramref name="row"/> of this cache (replacing its content), to reuse a prompt prefix computed once.</summary>
    /// <param name="source">A cache of the same model shape on the same device (may be this one).</param>
    /// <param name="sourceRow">The row to copy from.</param>
    /// <param name="row">The row to copy to; its length becomes <paramref name="length"/>.</param>
    /// <param name="length">Positions to copy, 0 .. the source row's length, at most <see cref="Capacity"/>.</param>
    public void CopyPrefix(KvCache source, int sourceRow, int row, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.LayerCount != LayerCount || source.HeadCount != HeadCount || source.HeadSize != HeadSize || source.Device != Device)
            throw new ArgumentException("the source cache belongs to a model of another shape or device.", nameof(source));
        source.CheckRow(sourceRow);
        CheckRow(row);
        if (length < 0 || length > source._lengths[sourceRow] || length > Capacity)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"can copy 0 .. {Math.Min(source._lengths[sourceRow], Capacity)} positions (source row holds {source._lengths[sourceRow]}, this cache fits {Capacity}).");
        if (ReferenceEquals(source, this) && sourceRow == row)
        {
            _lengths[row] = length;
            return;
        }

        int count = length * HeadSize;
        for (int layer = 0; layer < LayerCount; layer++)
        for (int part = 0; part < 2; part++)
        for (int h = 0; h < HeadCount; h++)
        {
            var from = source.Head(layer, part, sourceRow, h).Sub(0, count);
            var to = Head(layer, part, row, h).Sub(0, count);
            Device.Copy(from, to, count);
        }
        _lengths[row] = length;
    }

    /// <summary>Frees the cache's memory.</summary>
    public void Dispose() => _buffer.Dispose();

    /// <summary>Keys (rows, NH, L, HS) of rows [firstRow, firstRow + rows) of one layer.</summary>
    internal Slice<float> Keys(int layer, int firstRow, int rows) => Part(layer, 0, firstRow, rows);

    /// <summary>Values (rows, NH, L, HS) of rows [firstRow, firstRow + rows) of one layer.</summary>
    internal Slice<float> Values(int layer, int firstRow, int rows) => Part(layer, 1, firstRow, rows);

    /// <summary>Lengths of rows [firstRow, firstRow + rows).</summary>
    internal ReadOnlySpan<int> Lengths(int firstRow, int rows) => _lengths.AsSpan(firstRow, rows);

    /// <summary>Moves rows [firstRow, firstRow + rows) on by <paramref name="count"/> positions after a forward pass wrote them.</summary>
    internal void Advance(int firstRow, int rows, int count)
    {
        for (int r = firstRow; r < firstRow + rows; r++) _lengths[r] += count;
    }

    private Slice<float> Part(int layer, int part, int firstRow, int rows) =>
        new(_buffer, ((long)(layer * 2 + part) * Batch + firstRow) * _rowFloats, checked((int)(rows * _rowFloats)));

    private Slice<float> Head(int layer, int part, int row, int head) =>
        new(_buffer, ((long)(layer * 2 + part) * Batch + row) * _rowFloats + (long)head * Capacity * HeadSize, Capacity * HeadSize);

    private int CheckRow(int row) =>
        (uint)row < (uint)Batch ? row : throw new ArgumentOutOfRangeException(nameof(row), row, $"the cache has rows 0 .. {Batch - 1}.");
}

using Gpt.Kernels.Devices;
using Gpt.Kernels.Quantization;

namespace Gpt.Sdk.Tensors;

/// <summary>
/// A weight matrix (rows, cols) held compact on a device for inference: bf16 bits, or int8 in <see cref="Q8Blocks"/>'
/// layout (32 values a block along each row, one fp16 scale per block, held widened to fp32 so that no product widens
/// it again: 4 bytes a block instead of 2, 6% more bytes in all). Ops read it directly
/// (<see cref="TensorOps.CompactLinear"/>, <see cref="TensorOps.CompactEmbedding"/>)
/// and compute in fp32; it has no gradient.
/// </summary>
internal sealed class CompactMatrix : IDisposable
{
    private readonly DeviceBuffer<ushort>? _bf16;
    private readonly DeviceBuffer<sbyte>? _q8;
    private readonly DeviceBuffer<float>? _scales;

    private CompactMatrix(Device device, int rows, int cols, DeviceBuffer<ushort>? bf16, DeviceBuffer<sbyte>? q8, DeviceBuffer<float>? scales)
    {
        Device = device;
        Rows = rows;
        Cols = cols;
        _bf16 = bf16;
        _q8 = q8;
        _scales = scales;
    }

    /// <summary>The device holding the values.</summary>
    public Device Device { get; }

    /// <summary>Rows (a linear layer's outputs, an embedding's entries).</summary>
    public int Rows { get; }

    /// <summary>Columns (a linear layer's inputs, the embedding width).</summary>
    public int Cols { get; }

    /// <summary>True for int8 blocks, false for bf16.</summary>
    public bool IsInt8 => _q8 is not null;

    /// <summary>Bytes the matrix occupies.</summary>
    public long Bytes => _bf16 is not null ? _bf16.Length * 2 : _q8!.Length + _scales!.Length * sizeof(float);

    /// <summary>A bf16 matrix from its bits, row-major.</summary>
    public static CompactMatrix BFloat16(Device device, ReadOnlySpan<ushort> bits, int rows, int cols)
    {
        Check(bits.Length, rows, cols);
        var buffer = device.Allocate<ushort>(bits.Length);
        device.Upload(bits, All(buffer));
        return new CompactMatrix(device, rows, cols, buffer, null, null);
    }

    /// <summary>An int8 matrix from <see cref="Q8Blocks.Quantize"/>'s values and scales, row-major.</summary>
    public static CompactMatrix Int8(Device device, ReadOnlySpan<sbyte> values, ReadOnlySpan<Half> scales, int rows, int cols)
    {
        Check(values.Length, rows, cols);
        if (scales.Length != Q8Blocks.BlockCount(values.Length))
            throw new ArgumentException($"{values.Length} int8 values need {values.Length / Q8Blocks.BlockSize} block scales; got {scales.Length}.", nameof(scales));
        var widened = new float[scales.Length];
        for (int i = 0; i < scales.Length; i++) widened[i] = (float)scales[i];
        var q = device.Allocate<sbyte>(values.Length);
        var d = device.Allocate<float>(scales.Length);
        device.Upload(values, All(q));
        device.Upload<float>(widened, All(d));
        return new CompactMatrix(device, rows, cols, null, q, d);
    }

    /// <summary>y (rows, Rows) = x (rows, Cols) · thisᵀ (+ bias).</summary>
    public void MatMul(Slice<float> x, Slice<float> y, int rows, Slice<float> bias)
    {
        if (_bf16 is not null) Device.MatMulBf16(x, All(_bf16), y, rows, Rows, Cols, bias);
        else Device.MatMulQ8(x, All(_q8!), All(_scales!), y, rows, Rows, Cols, bias);
    }

    /// <summary>output (count, Cols) = this[ids].</summary>
    public void Lookup(Slice<int> ids, Slice<float> output, int count)
    {
        if (_bf16 is not null) Device.EmbeddingForwardBf16(ids, All(_bf16), output, count, Cols, Rows);
        else Device.EmbeddingForwardQ8(ids, All(_q8!), All(_scales!), output, count, Cols, Rows);
    }

    /// <summary>Every value expanded to fp32, row-major (for saving and checks; inference never needs this copy).</summary>
    public float[] ToArray()
    {
        var all = new float[(long)Rows * Cols];
        using var ids = Device.Allocate<int>(Rows);
        using var output = Device.Allocate<float>(all.Length);
        Device.Upload<int>(Enumerable.Range(0, Rows).ToArray(), All(ids));
        Lookup(All(ids), All(output), Rows);
        Device.Download(All(output), all);
        return all;
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        _bf16?.Dispose();
        _q8?.Dispose();
        _scales?.Dispose();
    }

    private static void Check(int length, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0 || length != (long)rows * cols)
            throw new ArgumentException($"{length} values do not form a ({rows}, {cols}) matrix.");
    }

    private static Slice<T> All<T>(DeviceBuffer<T> buffer) where T : unmanaged => new(buffer, 0, (int)buffer.Length);
}

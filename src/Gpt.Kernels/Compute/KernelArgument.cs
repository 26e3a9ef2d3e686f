using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Compute;

/// <summary>One argument of a kernel launch: a buffer slice or a scalar. Generated launchers build these;
/// an <see cref="IKernelRunner"/> reads them.</summary>
public readonly struct KernelArgument
{
    private KernelArgument(KernelArgumentKind kind, KernelValueType type, object? buffer, long offset, int length, ulong bits)
    {
        Kind = kind;
        Type = type;
        BufferObject = buffer;
        Offset = offset;
        Length = length;
        ScalarBits = bits;
    }

    /// <summary>Buffer or scalar.</summary>
    public KernelArgumentKind Kind { get; }

    /// <summary>The buffer's element type, or the scalar's type.</summary>
    public KernelValueType Type { get; }

    /// <summary>Size in bytes of one <see cref="Type"/> value (4 or 8).</summary>
    public int Size => Type is KernelValueType.Int64 or KernelValueType.UInt64 ? 8 : 4;

    /// <summary>For a buffer: the <see cref="DeviceBuffer{T}"/> holding the slice, or null for an empty slice.</summary>
    public object? BufferObject { get; }

    /// <summary>For a buffer: the slice's first element, as an index into <see cref="BufferObject"/>.</summary>
    public long Offset { get; }

    /// <summary>For a buffer: the slice's number of elements.</summary>
    public int Length { get; }

    /// <summary>For a scalar: its bits, zero-extended to 64 (a float's IEEE bits sit in the low 32). Passing the
    /// first <see cref="Size"/> bytes of this value (little-endian) passes the scalar.</summary>
    public ulong ScalarBits { get; }

    /// <summary>A buffer argument.</summary>
    /// <typeparam name="T">Element type: float, int, uint, long or ulong.</typeparam>
    /// <param name="slice">The elements the kernel sees as its view.</param>
    public static KernelArgument Buffer<T>(Slice<T> slice) where T : unmanaged =>
        new(KernelArgumentKind.Buffer, TypeOf<T>(), slice.Buffer, slice.Offset, slice.Length, 0);

    /// <summary>An <c>int</c> scalar.</summary>
    /// <param name="value">The value.</param>
    public static KernelArgument Int(int value) => Scalar(KernelValueType.Int32, (uint)value);

    /// <summary>A <c>uint</c> scalar.</summary>
    /// <param name="value">The value.</param>
    public static KernelArgument UInt(uint value) => Scalar(KernelValueType.UInt32, value);

    /// <summary>A <c>long</c> scalar.</summary>
    /// <param name="value">The value.</param>
    public static KernelArgument Long(long value) => Scalar(KernelValueType.Int64, (ulong)value);

    /// <summary>A <c>ulong</c> scalar.</summary>
    /// <param name="value">The value.</param>
    public static KernelArgument ULong(ulong value) => Scalar(KernelValueType.UInt64, value);

    /// <summary>A <c>float</c> scalar.</summary>
    /// <param name="value">The value.</param>
    public static KernelArgument Float(float value) =>
        Scalar(KernelValueType.Float32, (uint)BitConverter.SingleToInt32Bits(value));

    private static KernelArgument Scalar(KernelValueType type, ulong bits) =>
        new(KernelArgumentKind.Scalar, type, null, 0, 0, bits);

    private static KernelValueType TypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? KernelValueType.Float32
        : typeof(T) == typeof(int) ? KernelValueType.Int32
        : typeof(T) == typeof(uint) ? KernelValueType.UInt32
        : typeof(T) == typeof(long) ? KernelValueType.Int64
        : typeof(T) == typeof(ulong) ? KernelValueType.UInt64
        : throw new NotSupportedException(
            $"Kernel buffers hold float, int, uint, long or ulong; {typeof(T).Name} is not one of them.");
}

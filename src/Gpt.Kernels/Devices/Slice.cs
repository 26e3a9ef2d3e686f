namespace Gpt.Kernels.Devices;

/// <summary>A contiguous run of elements inside a <see cref="DeviceBuffer{T}"/>: what ops read and write.</summary>
/// <typeparam name="T">Element type.</typeparam>
/// <param name="Buffer">The buffer holding the elements; null only for the empty slice.</param>
/// <param name="Offset">Index of the first element in the buffer.</param>
/// <param name="Length">Number of elements.</param>
public readonly record struct Slice<T>(DeviceBuffer<T>? Buffer, long Offset, int Length) where T : unmanaged
{
    /// <summary>The empty slice, used for an optional output that is not wanted (a frozen gradient).</summary>
    public static Slice<T> Empty => default;

    /// <summary>True when the slice has no elements.</summary>
    public bool IsEmpty => Length == 0;

    /// <summary>A sub-range of this slice.</summary>
    /// <param name="start">Offset inside this slice.</param>
    /// <param name="length">Number of elements.</param>
    public Slice<T> Sub(int start, int length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"sub-slice [{start}, {start + length}) does not fit a slice of {Length} elements.");
        return new Slice<T>(Buffer, Offset + start, length);
    }
}

using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Compute;

/// <summary>
/// A kernel's view of a buffer: <see cref="Length"/> elements of <typeparamref name="T"/>, indexed by reference.
/// In generated GPU code it is a pointer into global (or, from <see cref="SharedMemory"/>, local) memory; on the
/// CPU it wraps a pinned pointer and checks every index.
/// </summary>
/// <typeparam name="T"><c>float</c>, <c>int</c>, <c>uint</c>, <c>long</c> or <c>ulong</c>.</typeparam>
public readonly unsafe struct ArrayView<T> where T : unmanaged
{
    private readonly T* _pointer;

    /// <summary>Wraps <paramref name="length"/> elements at <paramref name="pointer"/>; the memory must stay pinned
    /// while the view is used (the CPU launchers pin spans for the duration of a launch).</summary>
    /// <param name="pointer">First element.</param>
    /// <param name="length">Number of elements.</param>
    public ArrayView(T* pointer, int length)
    {
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length), length, "A view's length must be zero or positive.");
        if (pointer == null && length != 0)
            throw new ArgumentNullException(nameof(pointer), "A non-empty view needs memory.");
        _pointer = pointer;
        Length = length;
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The element at <paramref name="index"/>, by reference.</summary>
    /// <param name="index">In [0, <see cref="Length"/>).</param>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)Length)
                throw new IndexOutOfRangeException($"Kernel index {index} is outside a view of {Length} elements.");
            return ref _pointer[index];
        }
    }

    /// <summary>The <paramref name="length"/> elements starting at <paramref name="offset"/>.</summary>
    /// <param name="offset">First element of the sub-view.</param>
    /// <param name="length">Number of elements.</param>
    public ArrayView<T> SubView(int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Sub-view [{offset}, {(long)offset + length}) does not fit a view of {Length} elements.");
        return new ArrayView<T>(_pointer + offset, length);
    }
}

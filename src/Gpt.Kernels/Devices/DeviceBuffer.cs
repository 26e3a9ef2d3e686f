namespace Gpt.Kernels.Devices;

/// <summary>
/// A block of device memory holding <see cref="Length"/> elements of <typeparamref name="T"/>.
/// Owned by whoever allocated it; dispose it to free the memory.
/// </summary>
/// <typeparam name="T">Element type (float for tensors, int for token ids).</typeparam>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    /// <summary>Creates the buffer's bookkeeping; back ends allocate the memory.</summary>
    /// <param name="device">The device that owns the memory.</param>
    /// <param name="length">Number of elements.</param>
    private protected DeviceBuffer(Device device, long length)
    {
        Device = device;
        Length = length;
    }

    /// <summary>The device the memory lives on.</summary>
    public Device Device { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The address of the first element when the memory is ordinary host memory (the CPU device's buffers), so a
    /// native library such as MPI can read and write it in place; 0 for memory on a GPU, which must be copied first.</summary>
    public virtual nint HostAddress => 0;

    /// <summary>The CUDA device address (a <c>CUdeviceptr</c>) of the first element for memory on a CUDA device, so a CUDA
    /// library such as NCCL can use it in place; 0 for any other memory.</summary>
    public virtual ulong CudaAddress => 0;

    /// <summary>True once <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="offset"/>.</summary>
    /// <param name="offset">First element of the view.</param>
    /// <param name="length">Number of elements in the view.</param>
    public Slice<T> Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {offset + length}) does not fit a buffer of {Length} elements.");
        return new Slice<T>(this, offset, length);
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the memory; called once.</summary>
    private protected abstract void Free();
}

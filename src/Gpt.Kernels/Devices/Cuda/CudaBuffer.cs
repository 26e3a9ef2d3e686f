namespace Gpt.Kernels.Devices.Cuda;

/// <summary>Device memory of a <see cref="CudaDevice"/>: one <c>cuMemAlloc</c> allocation.</summary>
/// <typeparam name="T">Element type.</typeparam>
internal sealed unsafe class CudaBuffer<T> : DeviceBuffer<T>, IKernelBuffer where T : unmanaged
{
    private readonly CudaDevice _device;
    private ulong _pointer;

    internal CudaBuffer(CudaDevice device, long length) : base(device, length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _device = device;
        // An empty buffer still gets an address so it behaves like any other.
        nuint bytes = (nuint)Math.Max(1, length) * (nuint)sizeof(T);
        ulong pointer;
        device.MakeCurrent();
        CudaException.Check(CudaNative.cuMemAlloc_v2(&pointer, bytes), $"cuMemAlloc ({bytes} bytes on {device.Name})");
        _pointer = pointer;
    }

    /// <summary>The device address of the first element (a <c>CUdeviceptr</c>).</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <inheritdoc />
    public override ulong CudaAddress => Pointer;

    ulong IKernelBuffer.Handle => Pointer;

    /// <summary>Frees the memory if the owner forgot to dispose.</summary>
    ~CudaBuffer() => Free();

    /// <inheritdoc />
    private protected override void Free()
    {
        ulong pointer = Interlocked.Exchange(ref _pointer, 0);
        // Releasing the context freed the memory; freeing the address again could hit a newer allocation.
        if (pointer == 0 || _device.IsReleased) return;
        // The finalizer thread has no current context.
        _device.MakeCurrent(throwOnError: false);
        CudaNative.cuMemFree_v2(pointer);
    }
}

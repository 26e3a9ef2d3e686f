namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>Device memory of an <see cref="OpenCLDevice"/>: one read-write <c>cl_mem</c> buffer.</summary>
/// <typeparam name="T">Element type.</typeparam>
internal sealed unsafe class OpenCLBuffer<T> : DeviceBuffer<T>, IKernelBuffer where T : unmanaged
{
    private nint _memory;

    internal OpenCLBuffer(OpenCLDevice device, nint context, long length) : base(device, length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        // OpenCL refuses zero-sized buffers; an empty one still gets a handle so it behaves like any other.
        nuint bytes = (nuint)Math.Max(1, length) * (nuint)sizeof(T);
        int status;
        _memory = OpenCLNative.clCreateBuffer(context, OpenCLNative.MemReadWrite, bytes, null, &status);
        OpenCLException.Check(status, $"clCreateBuffer ({bytes} bytes on {device.Name})");
    }

    /// <summary>The <c>cl_mem</c> handle.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _memory;
        }
    }

    ulong IKernelBuffer.Handle => (ulong)Handle;

    /// <summary>Releases the memory if the owner forgot to dispose.</summary>
    ~OpenCLBuffer() => Free();

    /// <inheritdoc />
    private protected override void Free()
    {
        nint memory = Interlocked.Exchange(ref _memory, 0);
        if (memory != 0) OpenCLNative.clReleaseMemObject(memory);
    }
}

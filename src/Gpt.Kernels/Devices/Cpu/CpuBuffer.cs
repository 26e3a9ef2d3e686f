using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>Host memory for the CPU device: native, 64-byte aligned (one cache line, one Vector512),
/// outside the GC heap so large weights never move and never count toward GC pressure.</summary>
/// <typeparam name="T">Element type.</typeparam>
internal sealed unsafe class CpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    private T* _pointer;

    internal CpuBuffer(Device device, long length) : base(device, length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint bytes = (nuint)Math.Max(1, length) * (nuint)sizeof(T);
        _pointer = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        if (_pointer == null) throw new OutOfMemoryException($"could not allocate {bytes} bytes of host memory.");
        GC.AddMemoryPressure((long)bytes);
    }

    /// <summary>Address of the first element.</summary>
    public T* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <inheritdoc />
    public override nint HostAddress => (nint)Pointer;

    /// <summary>Frees the native memory if the owner forgot to dispose.</summary>
    ~CpuBuffer() => Free();

    /// <inheritdoc />
    private protected override void Free()
    {
        if (_pointer == null) return;
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
        GC.RemoveMemoryPressure(Math.Max(1, Length) * sizeof(T));
    }
}

using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// Packing buffers of the calling thread: native, 64-byte aligned, grown on demand and kept, so a
/// steady-state matrix multiply allocates nothing. One per thread because concurrent callers run
/// their products side by side; the finalizer frees the memory when the thread is gone.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic] private static GemmWorkspace? t_current;

    private float* _a;
    private float* _b;
    private long _aCapacity;
    private long _bCapacity;

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>A buffer for packed A of at least <paramref name="floats"/> floats.</summary>
    /// <param name="floats">Size needed.</param>
    public float* PackedA(long floats) => Ensure(ref _a, ref _aCapacity, floats);

    /// <summary>A buffer for packed B of at least <paramref name="floats"/> floats.</summary>
    /// <param name="floats">Size needed.</param>
    public float* PackedB(long floats) => Ensure(ref _b, ref _bCapacity, floats);

    private static float* Ensure(ref float* buffer, ref long capacity, long floats)
    {
        if (floats <= capacity) return buffer;
        // Grow by half again so a slowly growing shape does not reallocate every call.
        long size = Math.Max(floats, capacity + capacity / 2);
        NativeMemory.AlignedFree(buffer);
        buffer = null;
        capacity = 0;
        buffer = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
        capacity = size;
        return buffer;
    }

    ~GemmWorkspace()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
    }
}

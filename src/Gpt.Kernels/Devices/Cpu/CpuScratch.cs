using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Per-thread scratch memory for CPU kernels, allocated natively once and grown on demand, so
/// steady-state kernels allocate nothing. Each thread owns its own buffers; they are freed when the
/// thread is gone (a finalizer), so short-lived callers do not leak.
/// </summary>
/// <remarks>Two separate buffers so a caller's chunk results (<see cref="Doubles"/>) survive the loop
/// bodies that run on the same thread and use <see cref="Floats"/>. A pointer is valid until the
/// same thread asks that buffer again.</remarks>
internal static unsafe class CpuScratch
{
    [ThreadStatic] private static Buffers? _buffers;

    /// <summary>At least <paramref name="count"/> floats for a loop body; contents undefined.</summary>
    public static float* Floats(int count)
    {
        Buffers buffers = _buffers ??= new Buffers();
        if (count > buffers.FloatCapacity)
        {
            int capacity = Math.Max(count, 1024);
            NativeMemory.AlignedFree(buffers.Floats);
            buffers.Floats = null;
            buffers.FloatCapacity = 0; // stays consistent if the allocation below throws
            buffers.Floats = (float*)NativeMemory.AlignedAlloc((nuint)capacity * sizeof(float), 64);
            buffers.FloatCapacity = capacity;
        }
        return buffers.Floats;
    }

    /// <summary>At least <paramref name="count"/> doubles for a loop's caller; contents undefined.</summary>
    public static double* Doubles(int count)
    {
        Buffers buffers = _buffers ??= new Buffers();
        if (count > buffers.DoubleCapacity)
        {
            int capacity = Math.Max(count, 256);
            NativeMemory.AlignedFree(buffers.Doubles);
            buffers.Doubles = null;
            buffers.DoubleCapacity = 0;
            buffers.Doubles = (double*)NativeMemory.AlignedAlloc((nuint)capacity * sizeof(double), 64);
            buffers.DoubleCapacity = capacity;
        }
        return buffers.Doubles;
    }

    private sealed class Buffers
    {
        public float* Floats;
        public int FloatCapacity;
        public double* Doubles;
        public int DoubleCapacity;

        ~Buffers()
        {
            NativeMemory.AlignedFree(Floats);
            NativeMemory.AlignedFree(Doubles);
        }
    }
}

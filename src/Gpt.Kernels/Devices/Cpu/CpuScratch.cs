using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Per-thread scratch memory for CPU kernels, allocated natively once and grown on demand, so
/// steady-state kernels allocate nothing. Each thread owns its own buffers.
/// </summary>
/// <remarks>Two separate buffers so a caller's chunk results (<see cref="Doubles"/>) survive the loop
/// bodies that run on the same thread and use <see cref="Floats"/>. A pointer is valid until the
/// same thread asks that buffer again.</remarks>
internal static unsafe class CpuScratch
{
    [ThreadStatic] private static float* _floats;
    [ThreadStatic] private static int _floatCapacity;
    [ThreadStatic] private static double* _doubles;
    [ThreadStatic] private static int _doubleCapacity;

    /// <summary>At least <paramref name="count"/> floats for a loop body; contents undefined.</summary>
    public static float* Floats(int count)
    {
        if (count > _floatCapacity)
        {
            int capacity = Math.Max(count, 1024);
            NativeMemory.AlignedFree(_floats);
            _floats = (float*)NativeMemory.AlignedAlloc((nuint)capacity * sizeof(float), 64);
            _floatCapacity = capacity;
        }
        return _floats;
    }

    /// <summary>At least <paramref name="count"/> doubles for a loop's caller; contents undefined.</summary>
    public static double* Doubles(int count)
    {
        if (count > _doubleCapacity)
        {
            int capacity = Math.Max(count, 256);
            NativeMemory.AlignedFree(_doubles);
            _doubles = (double*)NativeMemory.AlignedAlloc((nuint)capacity * sizeof(double), 64);
            _doubleCapacity = capacity;
        }
        return _doubles;
    }
}

using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Generator.Tests;

/// <summary>Kernels compiled by the generator as this project's analyzer; the CPU tests run their launchers.</summary>
internal static partial class CpuSampleKernels
{
    /// <summary>y = alpha · x + y.</summary>
    [Kernel]
    internal static void Saxpy(ArrayView<float> x, ArrayView<float> y, float alpha, int n)
    {
        int i = Grid.GlobalIndex.X;
        if (i < n) y[i] = KernelMath.Fma(alpha, x[i], y[i]);
    }

    /// <summary>output (depth, rows, cols) = z·1000000 + r·1000 + c, over a 3-D grid.</summary>
    [Kernel]
    internal static void Coordinates(ArrayView<int> output, int depth, int rows, int cols)
    {
        int c = Grid.GlobalIndex.X, r = Grid.GlobalIndex.Y, z = Grid.GlobalIndex.Z;
        if (z < depth && r < rows && c < cols) output[(z * rows + r) * cols + c] = z * 1000000 + r * 1000 + c;
    }

    /// <summary>output[g] describes where thread g runs: group index, index in group, group size, group count.</summary>
    [Kernel]
    internal static void Placement(ArrayView<int> output)
    {
        int g = Grid.GlobalIndex.X;
        output[g] = Grid.IdxX * 1000000 + Group.IdxX * 10000 + Group.DimX * 100 + Grid.DimX;
    }

    /// <summary>bins[values[i] % bins] += 1, with atomics.</summary>
    [Kernel]
    internal static void Histogram(ArrayView<int> values, ArrayView<int> bins, int n)
    {
        int i = Grid.GlobalIndex.X;
        if (i < n) Atomic.Add(ref bins[values[i] % bins.Length], 1);
    }

    /// <summary>sums (rows) = row sums of matrix (rows, cols), through a sub-view and a helper.</summary>
    [Kernel]
    internal static void RowSums(ArrayView<float> matrix, ArrayView<float> sums, int rows, int cols)
    {
        int r = Grid.GlobalIndex.X;
        if (r >= rows) return;
        sums[r] = Sum(matrix.SubView(r * cols, cols));
    }

    private static float Sum(ArrayView<float> row)
    {
        float s = 0f;
        for (int k = 0; k < row.Length; k++) s += row[k];
        return s;
    }

    /// <summary>output[g] = 2g, staged through group-shared memory (no barrier: each thread reads its own slot).</summary>
    [Kernel]
    internal static void ThroughShared(ArrayView<int> output)
    {
        var slots = SharedMemory.Allocate<int>(32);
        var spare = SharedMemory.Allocate<float>(8);
        slots[Group.IdxX] = Grid.GlobalIndex.X * 2;
        spare[Group.IdxX % spare.Length] = 1f;
        output[Grid.GlobalIndex.X] = slots[Group.IdxX];
    }
}

using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Deterministic reductions for GPU devices. <see cref="PartialSums"/> splits the input into fixed chunks of
/// <see cref="ChunkSize"/> elements, one group of <see cref="GroupSize"/> threads each, summed by a tree in
/// shared memory; the host adds the partial sums in double, in chunk order. Nothing depends on timing, so a
/// rerun gives the same bits. <see cref="ColumnSum"/> is one thread per column, rows in order.
/// </summary>
internal static partial class ReduceGpuKernels
{
    /// <summary>Threads per group of <see cref="PartialSums"/> (launch with exactly this many).</summary>
    internal const int GroupSize = 256;

    /// <summary>Elements each thread adds before the tree.</summary>
    private const int PerThread = 16;

    /// <summary>Elements per partial sum: one group's share.</summary>
    internal const int ChunkSize = GroupSize * PerThread;

    /// <summary>partials[g] = the sum (of squares when <paramref name="squares"/> is 1) of chunk g of x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="partials">(groups) one sum per chunk of <see cref="ChunkSize"/> elements.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="squares">1 to sum squares, 0 to sum values.</param>
    [Kernel]
    internal static void PartialSums(ArrayView<float> x, ArrayView<float> partials, int count, int squares)
    {
        var scratch = SharedMemory.Allocate<float>(GroupSize);
        int thread = Group.IdxX;
        int start = Grid.IdxX * ChunkSize;
        float sum = 0f;
        for (int j = 0; j < PerThread; j++)
        {
            int i = start + j * GroupSize + thread;
            if (i < count)
            {
                float value = x[i];
                sum += squares != 0 ? value * value : value;
            }
        }
        scratch[thread] = sum;
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        if (thread == 0) partials[Grid.IdxX] = scratch[0];
    }

    /// <summary>output (cols) += column sums of input (rows, cols); one thread per column, rows in order.</summary>
    /// <param name="input">(rows, cols) values.</param>
    /// <param name="output">(cols) accumulates the sums.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    [Kernel]
    internal static void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols)
    {
        int c = Grid.GlobalIndex.X;
        if (c >= cols) return;
        float sum = 0f;
        for (int r = 0; r < rows; r++) sum += input[r * cols + c];
        output[c] += sum;
    }
}

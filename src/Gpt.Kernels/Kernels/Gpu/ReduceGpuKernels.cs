using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Deterministic reductions for GPU devices. <see cref="PartialSums"/> splits the input into fixed chunks of
/// <see cref="ChunkSize"/> elements, one group of <see cref="GroupSize"/> threads each, summed by a tree in
/// shared memory; the host adds the partial sums in double, in chunk order. Nothing depends on timing, so a
/// rerun gives the same bits. <see cref="ColumnSum"/> is one thread per column, rows in order; <see cref="RowSum"/>
/// one thread per row, columns in order.
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

    /// <summary>output[r] = Σ_c x[r, c] · weights[r, c], columns in order (a masked per-sequence sum of token
    /// log-probabilities). One thread per row: the rows are sequences (B), the columns tokens (T), and one thread
    /// walking a row keeps the order fixed without a tree.</summary>
    /// <param name="x">(rows, cols) values.</param>
    /// <param name="weights">(rows, cols) each value's weight (a 0/1 mask, say).</param>
    /// <param name="output">(rows) the weighted sums (overwritten).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    [Kernel]
    internal static void RowSum(ArrayView<float> x, ArrayView<float> weights, ArrayView<float> output, int rows, int cols)
    {
        int r = Grid.GlobalIndex.X;
        if (r >= rows) return;
        var row = x.SubView(r * cols, cols);
        var rowWeights = weights.SubView(r * cols, cols);
        float sum = 0f;
        for (int c = 0; c < cols; c++) sum += row[c] * rowWeights[c];
        output[r] = sum;
    }

    /// <summary>dInput[r, c] += dOutput[r] · weights[r, c], the backward pass of <see cref="RowSum"/>; one thread per element.</summary>
    /// <param name="dOutput">(rows) gradient with respect to the row sums.</param>
    /// <param name="weights">(rows, cols) the forward's weights.</param>
    /// <param name="dInput">(rows, cols) accumulates the gradient with respect to x.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    [Kernel]
    internal static void RowSumBackward(ArrayView<float> dOutput, ArrayView<float> weights, ArrayView<float> dInput, int rows, int cols)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= rows * cols) return;
        dInput[i] += dOutput[i / cols] * weights[i];
    }
}

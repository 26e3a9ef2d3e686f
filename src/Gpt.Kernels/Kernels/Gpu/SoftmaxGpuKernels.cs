using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Row-wise softmax for GPU devices: one group per row, its threads striding over the columns and meeting in
/// shared memory for the row's maximum and sum (two tree reductions with barriers).
/// Launch with <c>groups = rows</c> and <c>groupSize</c> a power of two no larger than <see cref="MaxGroupSize"/>.
/// </summary>
internal static partial class SoftmaxGpuKernels
{
    /// <summary>The largest group size the kernels' shared scratch holds.</summary>
    internal const int MaxGroupSize = 256;

    /// <summary>output = softmax(input) over each row of (rows, cols).</summary>
    /// <param name="input">(rows, cols) logits.</param>
    /// <param name="output">(rows, cols) probabilities; may be input.</param>
    /// <param name="rows">Number of rows (one group each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> input, ArrayView<float> output, int rows, int cols)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int row = Grid.IdxX;
        if (row >= rows) return; // the whole group leaves together, so no barrier is skipped by part of it
        int thread = Group.IdxX;
        int threads = Group.DimX;
        var x = input.SubView(row * cols, cols);  // (cols)
        var y = output.SubView(row * cols, cols); // (cols)

        float max = float.NegativeInfinity;
        for (int c = thread; c < cols; c += threads) max = KernelMath.Max(max, x[c]);
        scratch[thread] = max;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] = KernelMath.Max(scratch[thread], scratch[thread + stride]);
            Group.Barrier();
        }
        max = scratch[0];
        Group.Barrier(); // everyone has read the maximum before the slots are reused for the sum

        float sum = 0f;
        for (int c = thread; c < cols; c += threads)
        {
            float e = KernelMath.Exp(x[c] - max);
            y[c] = e;
            sum += e;
        }
        scratch[thread] = sum;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        float scale = 1f / scratch[0];
        for (int c = thread; c < cols; c += threads) y[c] *= scale;
    }

    /// <summary>dInput += y·(dy − Σ dy·y) over each row of (rows, cols), from the forward output y.</summary>
    /// <param name="output">(rows, cols) the forward output.</param>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="dInput">(rows, cols) accumulates the gradient with respect to the input.</param>
    /// <param name="rows">Number of rows (one group each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void Backward(ArrayView<float> output, ArrayView<float> dOutput, ArrayView<float> dInput, int rows, int cols)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int row = Grid.IdxX;
        if (row >= rows) return;
        int thread = Group.IdxX;
        int threads = Group.DimX;
        var y = output.SubView(row * cols, cols);   // (cols)
        var dy = dOutput.SubView(row * cols, cols); // (cols)
        var dx = dInput.SubView(row * cols, cols);  // (cols)

        float dot = 0f;
        for (int c = thread; c < cols; c += threads) dot += dy[c] * y[c];
        scratch[thread] = dot;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        dot = scratch[0];
        for (int c = thread; c < cols; c += threads) dx[c] += y[c] * (dy[c] - dot);
    }

    /// <summary><see cref="Forward"/>, one thread per row with the obvious loops: the barrier-free reference
    /// (<see cref="SoftmaxKernels.Forward"/> runs it on the CPU).</summary>
    /// <param name="input">(rows, cols) logits.</param>
    /// <param name="output">(rows, cols) probabilities; may be input.</param>
    /// <param name="rows">Number of rows (one thread each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void ForwardRows(ArrayView<float> input, ArrayView<float> output, int rows, int cols)
    {
        int row = Grid.GlobalIndex.X;
        if (row >= rows) return;
        var x = input.SubView(row * cols, cols);  // (cols)
        var y = output.SubView(row * cols, cols); // (cols)
        float max = float.NegativeInfinity;
        for (int c = 0; c < cols; c++) max = KernelMath.Max(max, x[c]);
        float sum = 0f;
        for (int c = 0; c < cols; c++)
        {
            float e = KernelMath.Exp(x[c] - max);
            y[c] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int c = 0; c < cols; c++) y[c] *= inverse;
    }

    /// <summary><see cref="Backward"/>, one thread per row: the barrier-free reference.</summary>
    /// <param name="output">(rows, cols) the forward output.</param>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="dInput">(rows, cols) accumulates the gradient with respect to the input.</param>
    /// <param name="rows">Number of rows (one thread each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void BackwardRows(ArrayView<float> output, ArrayView<float> dOutput, ArrayView<float> dInput, int rows, int cols)
    {
        int row = Grid.GlobalIndex.X;
        if (row >= rows) return;
        var y = output.SubView(row * cols, cols);   // (cols)
        var dy = dOutput.SubView(row * cols, cols); // (cols)
        var dx = dInput.SubView(row * cols, cols);  // (cols)
        float dot = 0f;
        for (int c = 0; c < cols; c++) dot += dy[c] * y[c];
        for (int c = 0; c < cols; c++) dx[c] += y[c] * (dy[c] - dot);
    }
}

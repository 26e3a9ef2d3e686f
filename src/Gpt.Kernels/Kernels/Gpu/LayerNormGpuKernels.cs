using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// LayerNorm forward and backward for GPU devices. Row statistics: one group per row, its threads striding
/// over the columns and meeting in shared memory (tree reductions with barriers). Launch <see cref="Forward"/>
/// and <see cref="BackwardInput"/> with <c>groups = rows</c> and <c>groupSize</c> a power of two up to
/// <see cref="MaxGroupSize"/>. The parameter gradients are one thread per column, rows in order (no atomics).
/// </summary>
internal static partial class LayerNormGpuKernels
{
    /// <summary>The largest group size the shared scratch holds.</summary>
    internal const int MaxGroupSize = 256;

    /// <summary>output = (x − mean)·rstd·weight + bias per row of (rows, cols); saves mean and rstd.</summary>
    /// <param name="input">(rows, cols) values.</param>
    /// <param name="weight">(cols) gain.</param>
    /// <param name="bias">(cols) shift.</param>
    /// <param name="output">(rows, cols) results.</param>
    /// <param name="mean">(rows) row means.</param>
    /// <param name="rstd">(rows) reciprocal standard deviations.</param>
    /// <param name="rows">Number of rows (one group each).</param>
    /// <param name="cols">Row length.</param>
    /// <param name="epsilon">Variance guard.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> output,
        ArrayView<float> mean, ArrayView<float> rstd, int rows, int cols, float epsilon)
    {
        var scratch = SharedMemory.Allocate<float>(MaxGroupSize);
        int row = Grid.IdxX;
        if (row >= rows) return; // the whole group leaves together
        int thread = Group.IdxX;
        int threads = Group.DimX;
        var x = input.SubView(row * cols, cols);  // (cols)
        var y = output.SubView(row * cols, cols); // (cols)

        float sum = 0f;
        for (int c = thread; c < cols; c += threads) sum += x[c];
        scratch[thread] = sum;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        float m = scratch[0] / cols;
        Group.Barrier(); // everyone has read the sum before the slots are reused

        float squares = 0f;
        for (int c = thread; c < cols; c += threads)
        {
            float d = x[c] - m;
            squares += d * d;
        }
        scratch[thread] = squares;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        float s = 1f / KernelMath.Sqrt(scratch[0] / cols + epsilon);
        for (int c = thread; c < cols; c += threads) y[c] = (x[c] - m) * s * weight[c] + bias[c];
        if (thread == 0)
        {
            mean[row] = m;
            rstd[row] = s;
        }
    }

    /// <summary>dInput += rstd·(g − mean(g) − n·mean(g·n)) per row, with n the normalised input and g = dOutput·weight.</summary>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="input">(rows, cols) the forward input.</param>
    /// <param name="weight">(cols) gain.</param>
    /// <param name="mean">(rows) saved means.</param>
    /// <param name="rstd">(rows) saved reciprocal standard deviations.</param>
    /// <param name="dInput">(rows, cols) accumulates the input gradient.</param>
    /// <param name="rows">Number of rows (one group each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void BackwardInput(ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dInput, int rows, int cols)
    {
        var gSums = SharedMemory.Allocate<float>(MaxGroupSize);
        var gnSums = SharedMemory.Allocate<float>(MaxGroupSize);
        int row = Grid.IdxX;
        if (row >= rows) return;
        int thread = Group.IdxX;
        int threads = Group.DimX;
        var dy = dOutput.SubView(row * cols, cols); // (cols)
        var x = input.SubView(row * cols, cols);    // (cols)
        var dx = dInput.SubView(row * cols, cols);  // (cols)
        float m = mean[row], s = rstd[row];

        float gSum = 0f, gnSum = 0f;
        for (int c = thread; c < cols; c += threads)
        {
            float g = dy[c] * weight[c];
            gSum += g;
            gnSum += g * (x[c] - m) * s;
        }
        gSums[thread] = gSum;
        gnSums[thread] = gnSum;
        Group.Barrier();
        for (int stride = threads / 2; stride > 0; stride /= 2)
        {
            if (thread < stride)
            {
                gSums[thread] += gSums[thread + stride];
                gnSums[thread] += gnSums[thread + stride];
            }
            Group.Barrier();
        }
        float gMean = gSums[0] / cols, gnMean = gnSums[0] / cols;
        for (int c = thread; c < cols; c += threads)
        {
            float n = (x[c] - m) * s;
            dx[c] += (dy[c] * weight[c] - gMean - n * gnMean) * s;
        }
    }

    /// <summary>dWeight += Σ_rows n·dOutput and dBias += Σ_rows dOutput; one thread per column, rows in order.
    /// Either gradient may be empty (frozen).</summary>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="input">(rows, cols) the forward input.</param>
    /// <param name="mean">(rows) saved means.</param>
    /// <param name="rstd">(rows) saved reciprocal standard deviations.</param>
    /// <param name="dWeight">(cols) accumulates the gain's gradient, or empty.</param>
    /// <param name="dBias">(cols) accumulates the shift's gradient, or empty.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void BackwardParameters(ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> mean,
        ArrayView<float> rstd, ArrayView<float> dWeight, ArrayView<float> dBias, int rows, int cols)
    {
        int c = Grid.GlobalIndex.X;
        if (c >= cols) return;
        // Added onto the old values row by row, as the CPU's fast path does: the same bits.
        float weightSum = dWeight.Length > 0 ? dWeight[c] : 0f;
        float biasSum = dBias.Length > 0 ? dBias[c] : 0f;
        for (int r = 0; r < rows; r++)
        {
            float dy = dOutput[r * cols + c];
            float n = (input[r * cols + c] - mean[r]) * rstd[r];
            weightSum += n * dy;
            biasSum += dy;
        }
        if (dWeight.Length > 0) dWeight[c] = weightSum;
        if (dBias.Length > 0) dBias[c] = biasSum;
    }

    /// <summary><see cref="Forward"/>, one thread per row with the obvious loops: the barrier-free reference
    /// (<see cref="LayerNormKernels.Forward"/> runs it on the CPU).</summary>
    /// <param name="input">(rows, cols) values.</param>
    /// <param name="weight">(cols) gain.</param>
    /// <param name="bias">(cols) shift.</param>
    /// <param name="output">(rows, cols) results.</param>
    /// <param name="mean">(rows) row means.</param>
    /// <param name="rstd">(rows) reciprocal standard deviations.</param>
    /// <param name="rows">Number of rows (one thread each).</param>
    /// <param name="cols">Row length.</param>
    /// <param name="epsilon">Variance guard.</param>
    [Kernel]
    internal static void ForwardRows(ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> output,
        ArrayView<float> mean, ArrayView<float> rstd, int rows, int cols, float epsilon)
    {
        int row = Grid.GlobalIndex.X;
        if (row >= rows) return;
        var x = input.SubView(row * cols, cols);  // (cols)
        var y = output.SubView(row * cols, cols); // (cols)
        float sum = 0f;
        for (int c = 0; c < cols; c++) sum += x[c];
        float m = sum / cols;
        float squares = 0f;
        for (int c = 0; c < cols; c++)
        {
            float d = x[c] - m;
            squares += d * d;
        }
        float s = 1f / KernelMath.Sqrt(squares / cols + epsilon);
        for (int c = 0; c < cols; c++) y[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[row] = m;
        rstd[row] = s;
    }

    /// <summary><see cref="BackwardInput"/>, one thread per row: the barrier-free reference.</summary>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="input">(rows, cols) the forward input.</param>
    /// <param name="weight">(cols) gain.</param>
    /// <param name="mean">(rows) saved means.</param>
    /// <param name="rstd">(rows) saved reciprocal standard deviations.</param>
    /// <param name="dInput">(rows, cols) accumulates the input gradient.</param>
    /// <param name="rows">Number of rows (one thread each).</param>
    /// <param name="cols">Row length.</param>
    [Kernel]
    internal static void BackwardInputRows(ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dInput, int rows, int cols)
    {
        int row = Grid.GlobalIndex.X;
        if (row >= rows) return;
        var dy = dOutput.SubView(row * cols, cols); // (cols)
        var x = input.SubView(row * cols, cols);    // (cols)
        var dx = dInput.SubView(row * cols, cols);  // (cols)
        float m = mean[row], s = rstd[row];
        float gSum = 0f, gnSum = 0f;
        for (int c = 0; c < cols; c++)
        {
            float g = dy[c] * weight[c];
            gSum += g;
            gnSum += g * ((x[c] - m) * s);
        }
        float gMean = gSum / cols, gnMean = gnSum / cols;
        for (int c = 0; c < cols; c++)
        {
            float n = (x[c] - m) * s;
            dx[c] += (dy[c] * weight[c] - gMean - n * gnMean) * s;
        }
    }
}

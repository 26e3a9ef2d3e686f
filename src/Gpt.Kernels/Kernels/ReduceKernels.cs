using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Reductions, the reference versions: plain loops in index order (sums in double, which kernels lack); the column sum
/// and the weighted row sum are <see cref="Gpu.ReduceGpuKernels"/>' kernels run on the CPU.
/// </summary>
internal static class ReduceKernels
{
    /// <summary>The sum of all elements, accumulated in double (0 for an empty span).</summary>
    /// <param name="x">The values.</param>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>The sum of squares of all elements, accumulated in double: the squared L2 norm
    /// (0 for an empty span).</summary>
    /// <param name="x">The values.</param>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += (double)x[i] * x[i];
        return sum;
    }

    /// <summary>output[c] += sum over r of input[r, c] (a bias gradient); each column is summed
    /// in row order, in float, then added.</summary>
    /// <param name="input">(rows, cols) values.</param>
    /// <param name="output">(cols) accumulates the column sums.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void ColumnSum(ReadOnlySpan<float> input, Span<float> output, int rows, int cols)
    {
        KernelGuards.ColumnSum(input.Length, output.Length, rows, cols);
        if (cols == 0) return;
        ReduceGpuKernels.ColumnSumKernel.LaunchCpu(ReferenceLaunch.Groups(cols), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), output, rows, cols);
    }

    /// <summary>output[r] = Σ_c x[r, c] · weights[r, c], each row summed in column order, in float (a masked
    /// per-sequence sum of token log-probabilities: x (B, T), weights the (B, T) mask).</summary>
    /// <param name="x">(rows, cols) values.</param>
    /// <param name="weights">(rows, cols) each value's weight.</param>
    /// <param name="output">(rows) the weighted sums (overwritten).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void RowSum(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<float> output, int rows, int cols)
    {
        KernelGuards.RowSum(x.Length, weights.Length, output.Length, rows, cols);
        if (rows == 0) return;
        ReduceGpuKernels.RowSumKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x),
            ReferenceLaunch.Writable(weights), output, rows, cols);
    }

    /// <summary>Back-propagates through <see cref="RowSum"/>: dInput[r, c] += dOutput[r] · weights[r, c]
    /// (the weights are constants and get no gradient).</summary>
    /// <param name="dOutput">(rows) gradient with respect to the row sums.</param>
    /// <param name="weights">(rows, cols) the forward's weights.</param>
    /// <param name="dInput">(rows, cols) accumulates the gradient with respect to x.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void RowSumBackward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights, Span<float> dInput, int rows, int cols)
    {
        KernelGuards.RowSumBackward(dOutput.Length, weights.Length, dInput.Length, rows, cols);
        if (rows == 0 || cols == 0) return;
        ReduceGpuKernels.RowSumBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(rows * cols), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(dOutput), ReferenceLaunch.Writable(weights), dInput, rows, cols);
    }

    /// <summary>The largest element; NaN if any element is NaN (as <see cref="MathF.Max(float, float)"/>).</summary>
    /// <param name="x">The values; at least one.</param>
    public static float Max(ReadOnlySpan<float> x)
    {
        KernelGuards.NotEmpty(x.Length, nameof(x));
        float max = x[0];
        for (int i = 1; i < x.Length; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>The first index of the largest element; the first NaN counts as the largest, and +0 as
    /// larger than -0.</summary>
    /// <param name="x">The values; at least one.</param>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        KernelGuards.NotEmpty(x.Length, nameof(x));
        int best = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(x[i])) return i;
            if (x[i] > x[best] || (x[i] == x[best] && float.IsNegative(x[best]) && !float.IsNegative(x[i]))) best = i;
        }
        return best;
    }
}

namespace Gpt.Kernels;

/// <summary>
/// Row-wise softmax, the reference version: numerically stable (each row's maximum is subtracted
/// before exponentiating), one plain loop per row.
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>output[r, c] = exp(input[r, c] - max_r) / sum_c' exp(input[r, c'] - max_r).</summary>
    /// <param name="input">(rows, cols) scores.</param>
    /// <param name="output">(rows, cols) probabilities; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns, each row a distribution.</param>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, int rows, int cols)
    {
        KernelGuards.Rows(input.Length, nameof(input), output.Length, nameof(output), rows, cols);
        KernelGuards.SameOrDisjoint(input, output, rows * cols, nameof(input), nameof(output));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * cols, cols); // (cols)
            Span<float> y = output.Slice(r * cols, cols);        // (cols)
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, x[c]);
            float sum = 0f;
            for (int c = 0; c < cols; c++)
            {
                float e = MathF.Exp(x[c] - max);
                y[c] = e;
                sum += e;
            }
            float inverse = 1f / sum;
            for (int c = 0; c < cols; c++) y[c] *= inverse;
        }
    }

    /// <summary>Back-propagates through <see cref="Forward"/>: dInput += y * (dy - sum(dy * y)) per row.</summary>
    /// <param name="output">(rows, cols) the forward output y.</param>
    /// <param name="dOutput">(rows, cols) gradient with respect to the output.</param>
    /// <param name="dInput">(rows, cols) accumulates the gradient with respect to the input.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int rows, int cols)
    {
        KernelGuards.Rows(output.Length, nameof(output), dOutput.Length, nameof(dOutput), rows, cols);
        KernelGuards.Length(dInput.Length, (long)rows * cols, nameof(dInput), "rows × cols");
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> y = output.Slice(r * cols, cols);   // (cols)
            ReadOnlySpan<float> dy = dOutput.Slice(r * cols, cols); // (cols)
            Span<float> dx = dInput.Slice(r * cols, cols);          // (cols)
            float dot = 0f;
            for (int c = 0; c < cols; c++) dot += dy[c] * y[c];
            for (int c = 0; c < cols; c++) dx[c] += y[c] * (dy[c] - dot);
        }
    }
}

using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Row-wise softmax, the reference version: numerically stable (each row's maximum is subtracted
/// before exponentiating): <see cref="Gpu.SoftmaxGpuKernels"/>' one-thread-per-row <c>[Kernel]</c> bodies run on the CPU.
/// </summary>
internal static class SoftmaxKernels
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
        if (rows == 0 || cols == 0) return;
        SoftmaxGpuKernels.ForwardRowsKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), output, rows, cols);
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
        if (rows == 0 || cols == 0) return;
        SoftmaxGpuKernels.BackwardRowsKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(output), ReferenceLaunch.Writable(dOutput), dInput, rows, cols);
    }
}

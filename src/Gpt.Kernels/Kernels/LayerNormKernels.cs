using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Layer normalisation over the last dimension, the reference version: <see cref="Gpu.LayerNormGpuKernels"/>'
/// one-thread-per-row (and, for the parameter gradients, per-column) <c>[Kernel]</c> bodies run on the CPU.
/// The CPU fast path (<c>CpuLayerNorm</c>) is tested against it.
/// </summary>
internal static class LayerNormKernels
{
    /// <summary>Normalises each row to zero mean and unit (biased) variance, then scales and shifts it:
    /// output = (x - mean) * rstd * weight + bias, with rstd = 1 / sqrt(var + epsilon), as PyTorch.</summary>
    /// <param name="input">(rows, cols) values to normalise.</param>
    /// <param name="weight">(cols) per-column scale.</param>
    /// <param name="bias">(cols) per-column shift.</param>
    /// <param name="output">(rows, cols) result; may not overlap <paramref name="input"/>.</param>
    /// <param name="mean">(rows) each row's mean, saved for the backward pass.</param>
    /// <param name="rstd">(rows) each row's reciprocal standard deviation, saved for the backward pass.</param>
    /// <param name="rows">Number of rows (positions).</param>
    /// <param name="cols">Number of columns (channels).</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> output, Span<float> mean, Span<float> rstd, int rows, int cols, float epsilon)
    {
        KernelGuards.LayerNormForward(input.Length, weight.Length, bias.Length, output.Length,
            mean.Length, rstd.Length, rows, cols, epsilon);
        if (rows == 0 || cols == 0) return;
        LayerNormGpuKernels.ForwardRowsKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), ReferenceLaunch.Writable(weight),
            ReferenceLaunch.Writable(bias), output, mean, rstd, rows, cols, epsilon);
    }

    /// <summary>Back-propagates through <see cref="Forward"/>, accumulating (+=) into every gradient.</summary>
    /// <param name="dOutput">(rows, cols) gradient of the loss with respect to the output.</param>
    /// <param name="input">(rows, cols) the forward input.</param>
    /// <param name="weight">(cols) the forward weight.</param>
    /// <param name="mean">(rows) saved by the forward pass.</param>
    /// <param name="rstd">(rows) saved by the forward pass.</param>
    /// <param name="dInput">(rows, cols) accumulates the input gradient.</param>
    /// <param name="dWeight">(cols) accumulates the weight gradient; empty when the weight is frozen.</param>
    /// <param name="dBias">(cols) accumulates the bias gradient; empty when the bias is frozen.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        Span<float> dInput, Span<float> dWeight, Span<float> dBias, int rows, int cols)
    {
        KernelGuards.LayerNormBackward(dOutput.Length, input.Length, weight.Length, mean.Length, rstd.Length,
            dInput.Length, dWeight.Length, dBias.Length, rows, cols);
        if (rows == 0 || cols == 0) return;
        // With n = normalised x and g = dy * weight: dx = rstd * (g - mean(g) - n * mean(g * n)), a thread per row;
        // dWeight += sum of n * dy and dBias += sum of dy, a thread per column (rows in order).
        LayerNormGpuKernels.BackwardInputRowsKernel.LaunchCpu(ReferenceLaunch.Groups(rows), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(dOutput), ReferenceLaunch.Writable(input),
            ReferenceLaunch.Writable(weight), ReferenceLaunch.Writable(mean), ReferenceLaunch.Writable(rstd), dInput, rows, cols);
        if (dWeight.IsEmpty && dBias.IsEmpty) return;
        LayerNormGpuKernels.BackwardParametersKernel.LaunchCpu(ReferenceLaunch.Groups(cols), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(dOutput), ReferenceLaunch.Writable(input),
            ReferenceLaunch.Writable(mean), ReferenceLaunch.Writable(rstd), dWeight, dBias, rows, cols);
    }
}

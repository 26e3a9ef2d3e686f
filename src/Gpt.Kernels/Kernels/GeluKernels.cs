using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// GELU with GPT-2's tanh approximation, gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
/// the reference version: <see cref="Gpu.ElementwiseGpuKernels"/>' one-thread-per-element <c>[Kernel]</c> bodies run on the CPU.
/// </summary>
internal static class GeluKernels
{
    /// <summary>sqrt(2 / pi).</summary>
    internal const float Sqrt2OverPi = 0.7978845608028654f;

    /// <summary>The cubic coefficient of the approximation.</summary>
    internal const float Cubic = 0.044715f;

    /// <summary>Applies GELU elementwise.</summary>
    /// <param name="input">(count) values.</param>
    /// <param name="output">(count) results; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="count">Number of elements.</param>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.GeluForwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), output, count);
    }

    /// <summary>Back-propagates through <see cref="Forward"/>: dInput += gelu'(input) * dOutput.</summary>
    /// <param name="input">(count) the forward input.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to the input.</param>
    /// <param name="count">Number of elements.</param>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, Span<float> dInput, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        if (count == 0) return;
        ElementwiseGpuKernels.GeluBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), ReferenceLaunch.Writable(dOutput), dInput, count);
    }
}

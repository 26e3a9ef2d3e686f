using Gpt.Kernels.Random;

using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Elementwise arithmetic, copies and dropout, the reference versions: argument guards, then the one-thread-per-element
/// <c>[Kernel]</c> bodies of <see cref="Gpu.ElementwiseGpuKernels"/> run on the CPU (the GPU devices launch the same code).
/// </summary>
public static class ElementwiseKernels
{
    /// <summary>output = a + b; output may be the same memory as a or b.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the sum.</param>
    /// <param name="count">Number of elements.</param>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.AddKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b), output, count);
    }

    /// <summary>accumulator += x.</summary>
    /// <param name="accumulator">(count) updated in place.</param>
    /// <param name="x">(count) added.</param>
    /// <param name="count">Number of elements.</param>
    public static void AddInPlace(Span<float> accumulator, ReadOnlySpan<float> x, int count)
    {
        KernelGuards.Count(count, accumulator.Length, nameof(accumulator), x.Length, nameof(x));
        KernelGuards.SameOrDisjoint(x, accumulator, count, nameof(x), nameof(accumulator));
        if (count == 0) return;
        ElementwiseGpuKernels.AddKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, accumulator, ReferenceLaunch.Writable(x), accumulator, count);
    }

    /// <summary>output = alpha * x; output may be the same memory as x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="alpha">The factor.</param>
    /// <param name="output">(count) the scaled values.</param>
    /// <param name="count">Number of elements.</param>
    public static void Scale(ReadOnlySpan<float> x, float alpha, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.ScaleKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), alpha, output, count);
    }

    /// <summary>Sets the first <paramref name="count"/> elements to <paramref name="value"/>.</summary>
    /// <param name="output">(count) the elements to set.</param>
    /// <param name="value">The value.</param>
    /// <param name="count">Number of elements.</param>
    public static void Fill(Span<float> output, float value, int count)
    {
        KernelGuards.NonNegative(count, nameof(count));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        if (count == 0) return;
        ElementwiseGpuKernels.FillKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, output, value, count);
    }

    /// <summary>output = x (the same memory is allowed; a shifted overlap is refused).</summary>
    /// <param name="x">(count) source.</param>
    /// <param name="output">(count) destination.</param>
    /// <param name="count">Number of elements.</param>
    public static void Copy(ReadOnlySpan<float> x, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.CopyKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), output, count);
    }

    /// <summary>Inverted dropout: keeps element i iff <see cref="Keeps"/>(seed, i, p) and scales kept
    /// elements by 1 / (1 - p), zeroing the rest. No mask is stored: the backward pass regenerates it.</summary>
    /// <param name="input">(count) values.</param>
    /// <param name="output">(count) result; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1).</param>
    /// <param name="seed">Mask seed; use a fresh one per call site and step.</param>
    public static void DropoutForward(ReadOnlySpan<float> input, Span<float> output, int count, float p, ulong seed)
    {
        KernelGuards.Dropout(input.Length, nameof(input), output.Length, nameof(output), count, p);
        KernelGuards.SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.DropoutForwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(input), output, count, p, seed, 1f / (1f - p));
    }

    /// <summary>Back-propagates through <see cref="DropoutForward"/> with the same seed and p:
    /// dInput += mask * dOutput / (1 - p).</summary>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to the input.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="p">The forward pass's drop probability.</param>
    /// <param name="seed">The forward pass's seed.</param>
    public static void DropoutBackward(ReadOnlySpan<float> dOutput, Span<float> dInput, int count, float p, ulong seed)
    {
        KernelGuards.Dropout(dOutput.Length, nameof(dOutput), dInput.Length, nameof(dInput), count, p);
        if (count == 0) return;
        ElementwiseGpuKernels.DropoutBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(dOutput), dInput, count, p, seed, 1f / (1f - p));
    }

    /// <summary>Whether dropout keeps element <paramref name="index"/>: its uniform draw is at least p.</summary>
    /// <param name="seed">Mask seed.</param>
    /// <param name="index">Element index.</param>
    /// <param name="p">Drop probability.</param>
    public static bool Keeps(ulong seed, long index, float p) =>
        CounterRng.ToUnitFloat(CounterRng.Hash(seed, (ulong)index)) >= p;
}

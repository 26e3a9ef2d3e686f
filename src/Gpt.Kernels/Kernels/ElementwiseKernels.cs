using Gpt.Kernels.Random;

using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Elementwise arithmetic, copies, dropout and the alignment objectives' pieces (exp, log-sigmoid, clamp,
/// minimum, maximum), the reference versions: argument guards, then the one-thread-per-element
/// <c>[Kernel]</c> bodies of <see cref="Gpu.ElementwiseGpuKernels"/> run on the CPU (the GPU devices launch the same code).
/// </summary>
internal static class ElementwiseKernels
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

    /// <summary>output = a · b; output may be the same memory as a or b.</summary>
    /// <param name="a">(count) first factor.</param>
    /// <param name="b">(count) second factor.</param>
    /// <param name="output">(count) the product.</param>
    /// <param name="count">Number of elements.</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.MultiplyKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b), output, count);
    }

    /// <summary>accumulator += a · b: the backward pass of a product and of <see cref="Exp"/>.</summary>
    /// <param name="a">(count) first factor.</param>
    /// <param name="b">(count) second factor.</param>
    /// <param name="accumulator">(count) updated in place; may be the same memory as a or b.</param>
    /// <param name="count">Number of elements.</param>
    public static void MultiplyAccumulate(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> accumulator, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(accumulator.Length, count, nameof(accumulator), "count");
        KernelGuards.SameOrDisjoint(a, accumulator, count, nameof(a), nameof(accumulator));
        KernelGuards.SameOrDisjoint(b, accumulator, count, nameof(b), nameof(accumulator));
        if (count == 0) return;
        ElementwiseGpuKernels.MultiplyAccumulateKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b), accumulator, count);
    }

    /// <summary>output = e^x; output may be the same memory as x. Its backward pass is
    /// <see cref="MultiplyAccumulate"/>(dOutput, output, dInput): the derivative of e^x is e^x.</summary>
    /// <param name="x">(count) exponents.</param>
    /// <param name="output">(count) the powers of e.</param>
    /// <param name="count">Number of elements.</param>
    public static void Exp(ReadOnlySpan<float> x, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.ExpKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), output, count);
    }

    /// <summary>output = log σ(x) = min(x, 0) − log1p(e^−|x|), finite for every finite x (−x for x far below 0, a
    /// tiny −e^−x for x far above); output may be the same memory as x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="output">(count) the log-sigmoids.</param>
    /// <param name="count">Number of elements.</param>
    public static void LogSigmoid(ReadOnlySpan<float> x, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.LogSigmoidKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), output, count);
    }

    /// <summary>Back-propagates through <see cref="LogSigmoid"/>: dInput += dOutput · σ(−x).</summary>
    /// <param name="x">(count) the forward input.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to x.</param>
    /// <param name="count">Number of elements.</param>
    public static void LogSigmoidBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dOutput, Span<float> dInput, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        if (count == 0) return;
        ElementwiseGpuKernels.LogSigmoidBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), ReferenceLaunch.Writable(dOutput), dInput, count);
    }

    /// <summary>output = x clamped to [low, high] (NaN stays NaN); output may be the same memory as x. Per-element
    /// bounds, such as PPO's clip(v, v_old − ε, v_old + ε), are v_old + clamp(v − v_old, −ε, ε).</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="low">Lower bound; not NaN, may be −∞.</param>
    /// <param name="high">Upper bound; not NaN, not below <paramref name="low"/>, may be +∞.</param>
    /// <param name="output">(count) the clamped values.</param>
    /// <param name="count">Number of elements.</param>
    public static void Clamp(ReadOnlySpan<float> x, float low, float high, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.ClampBounds(low, high);
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.ClampKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), low, high, output, count);
    }

    /// <summary>Back-propagates through <see cref="Clamp"/>: dInput += dOutput where low ≤ x ≤ high. An x exactly on
    /// a bound passes its gradient, as PyTorch's clamp does (its mask is x ≥ min and x ≤ max).</summary>
    /// <param name="x">(count) the forward input.</param>
    /// <param name="low">The forward's lower bound.</param>
    /// <param name="high">The forward's upper bound.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to x.</param>
    /// <param name="count">Number of elements.</param>
    public static void ClampBackward(ReadOnlySpan<float> x, float low, float high, ReadOnlySpan<float> dOutput, Span<float> dInput, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        KernelGuards.ClampBounds(low, high);
        if (count == 0) return;
        ElementwiseGpuKernels.ClampBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(x), low, high, ReferenceLaunch.Writable(dOutput), dInput, count);
    }

    /// <summary>output = min(a, b) elementwise, NaN where either is NaN (torch.minimum's rule); output may be the
    /// same memory as a or b. Backward: <see cref="SelectBackward"/>.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the smaller of each pair.</param>
    /// <param name="count">Number of elements.</param>
    public static void Minimum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.MinimumKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b), output, count);
    }

    /// <summary>output = max(a, b) elementwise, NaN where either is NaN (torch.maximum's rule); output may be the
    /// same memory as a or b. Backward: <see cref="SelectBackward"/>.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the larger of each pair.</param>
    /// <param name="count">Number of elements.</param>
    public static void Maximum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        if (count == 0) return;
        ElementwiseGpuKernels.MaximumKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b), output, count);
    }

    /// <summary>Back-propagates through <see cref="Minimum"/> or <see cref="Maximum"/>, from their output: the gradient
    /// goes to the operand the output equals; at a tie (a = b) each gets half, as torch.minimum and torch.maximum
    /// split it. Where the output is NaN neither operand gets any. dA += and dB +=; either may be empty (frozen).</summary>
    /// <param name="a">(count) the forward's first operand.</param>
    /// <param name="b">(count) the forward's second operand.</param>
    /// <param name="output">(count) the forward's output.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dA">(count) accumulates the gradient with respect to a, or empty.</param>
    /// <param name="dB">(count) accumulates the gradient with respect to b, or empty.</param>
    /// <param name="count">Number of elements.</param>
    public static void SelectBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput,
        Span<float> dA, Span<float> dB, int count)
    {
        KernelGuards.SelectBackward(a.Length, b.Length, output.Length, dOutput.Length, dA.Length, dB.Length, count);
        if (count == 0) return;
        ElementwiseGpuKernels.SelectBackwardKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, ReferenceLaunch.Writable(a),
            ReferenceLaunch.Writable(b), ReferenceLaunch.Writable(output), ReferenceLaunch.Writable(dOutput), dA, dB, count);
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

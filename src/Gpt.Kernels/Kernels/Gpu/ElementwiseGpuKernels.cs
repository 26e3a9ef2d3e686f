using Gpt.Kernels.Compute;
using Gpt.Kernels.Random;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Elementwise kernels for GPU devices, written once in C#; the generator adds OpenCL C, CUDA C and launchers
/// (e.g. <c>ElementwiseGpuKernels.AddKernel.Launch</c>). One thread per element: launch at least
/// <c>count</c> threads, e.g. <c>groups = (count + 255) / 256</c>, <c>groupSize = 256</c>.
/// </summary>
internal static partial class ElementwiseGpuKernels
{
    /// <summary>output = a + b; output may be a or b.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the sum.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Add(ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = a[i] + b[i];
    }

    /// <summary>output = alpha · x; output may be x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="alpha">The factor.</param>
    /// <param name="output">(count) the scaled values.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Scale(ArrayView<float> x, float alpha, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = alpha * x[i];
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    /// <param name="output">(count) the elements to set.</param>
    /// <param name="value">The value.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Fill(ArrayView<float> output, float value, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = value;
    }

    /// <summary>output = x.</summary>
    /// <param name="x">(count) source.</param>
    /// <param name="output">(count) destination.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Copy(ArrayView<float> x, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = x[i];
    }

    /// <summary>output = a · b; output may be a or b.</summary>
    /// <param name="a">(count) first factor.</param>
    /// <param name="b">(count) second factor.</param>
    /// <param name="output">(count) the product.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Multiply(ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = a[i] * b[i];
    }

    /// <summary>accumulator += a · b: the backward pass of a product (dA += dOut·b) and of exp (dX += dOut·e^x).</summary>
    /// <param name="a">(count) first factor.</param>
    /// <param name="b">(count) second factor.</param>
    /// <param name="accumulator">(count) updated in place; may be a or b.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void MultiplyAccumulate(ArrayView<float> a, ArrayView<float> b, ArrayView<float> accumulator, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) accumulator[i] += a[i] * b[i];
    }

    /// <summary>output = e^x; output may be x.</summary>
    /// <param name="x">(count) exponents.</param>
    /// <param name="output">(count) the powers of e.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Exp(ArrayView<float> x, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i < count) output[i] = KernelMath.Exp(x[i]);
    }

    /// <summary>output = log σ(x) = min(x, 0) − log1p(e^−|x|); output may be x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="output">(count) the log-sigmoids, all ≤ 0.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void LogSigmoid(ArrayView<float> x, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float v = x[i];
        // −log(1 + e^−x) overflows e^−x for x far below 0; with e^−|x| ≤ 1 nothing overflows, and log1p keeps
        // the tiny e^−x of a large x that 1 + e^−x would round away.
        output[i] = KernelMath.Min(v, 0f) - KernelMath.Log1p(KernelMath.Exp(-KernelMath.Abs(v)));
    }

    /// <summary>dInput += dOutput · σ(−x), the derivative of log σ(x).</summary>
    /// <param name="x">(count) the forward input.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to x.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void LogSigmoidBackward(ArrayView<float> x, ArrayView<float> dOutput, ArrayView<float> dInput, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float v = x[i];
        // σ(−x) from e = e^−|x| ≤ 1 on both sides: e/(1 + e) for x ≥ 0, 1/(1 + e) for x < 0; never inf/inf.
        float e = KernelMath.Exp(-KernelMath.Abs(v));
        float sigmoidOfMinusX = v >= 0f ? e / (1f + e) : 1f / (1f + e);
        dInput[i] += dOutput[i] * sigmoidOfMinusX;
    }

    /// <summary>output = x clamped to [low, high]; NaN stays NaN (as torch.clamp). output may be x.</summary>
    /// <param name="x">(count) values.</param>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound, at least <paramref name="low"/>.</param>
    /// <param name="output">(count) the clamped values.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Clamp(ArrayView<float> x, float low, float high, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float v = x[i];
        // Comparisons, not fmax/fmin, which would turn a NaN into a bound.
        output[i] = v < low ? low : v > high ? high : v;
    }

    /// <summary>dInput += dOutput where low ≤ x ≤ high: the bounds themselves pass the gradient (torch.clamp's rule).</summary>
    /// <param name="x">(count) the forward input.</param>
    /// <param name="low">The forward's lower bound.</param>
    /// <param name="high">The forward's upper bound.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to x.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void ClampBackward(ArrayView<float> x, float low, float high, ArrayView<float> dOutput, ArrayView<float> dInput, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float v = x[i];
        if (v >= low && v <= high) dInput[i] += dOutput[i];
    }

    /// <summary>output = min(a, b), NaN if either is NaN (as torch.minimum); output may be a or b.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the smaller of each pair.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Minimum(ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float u = a[i], v = b[i];
        output[i] = u < v ? u : v < u ? v : Tie(u, v);
    }

    /// <summary>output = max(a, b), NaN if either is NaN (as torch.maximum); output may be a or b.</summary>
    /// <param name="a">(count) first operand.</param>
    /// <param name="b">(count) second operand.</param>
    /// <param name="output">(count) the larger of each pair.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void Maximum(ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float u = a[i], v = b[i];
        output[i] = u > v ? u : v > u ? v : Tie(u, v);
    }

    /// <summary>The backward pass of an op that picks one of two operands per element (minimum, maximum): the gradient
    /// goes to the operand equal to the output, and is split evenly when both are (a tie, as torch.minimum and
    /// torch.maximum do). An empty dA or dB is skipped (frozen).</summary>
    /// <param name="a">(count) the forward's first operand.</param>
    /// <param name="b">(count) the forward's second operand.</param>
    /// <param name="output">(count) the forward's output: a[i] or b[i].</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dA">(count) accumulates the gradient with respect to a, or empty.</param>
    /// <param name="dB">(count) accumulates the gradient with respect to b, or empty.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void SelectBackward(ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, ArrayView<float> dOutput,
        ArrayView<float> dA, ArrayView<float> dB, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float chosen = output[i];
        bool toA = a[i] == chosen, toB = b[i] == chosen;
        float share = toA && toB ? 0.5f * dOutput[i] : dOutput[i];
        if (toA && dA.Length > 0) dA[i] += share;
        if (toB && dB.Length > 0) dB[i] += share;
    }

    /// <summary>The result when neither operand is below the other: a tie gives a (−0 and +0 tie), a NaN gives NaN.</summary>
    private static float Tie(float a, float b) => a == b ? a : float.NaN;

    /// <summary>GELU, tanh form (GPT-2's); output may be input.</summary>
    /// <param name="input">(count) values.</param>
    /// <param name="output">(count) results.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void GeluForward(ArrayView<float> input, ArrayView<float> output, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float x = input[i];
        output[i] = 0.5f * x * (1f + GeluTanh(x));
    }

    /// <summary>dInput += gelu'(input) · dOutput.</summary>
    /// <param name="input">(count) the forward input.</param>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to the input.</param>
    /// <param name="count">Number of elements.</param>
    [Kernel]
    internal static void GeluBackward(ArrayView<float> input, ArrayView<float> dOutput, ArrayView<float> dInput, int count)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float x = input[i];
        float t = GeluTanh(x);
        // 1 - t² stands in for sech², which would overflow cosh for large |x|.
        float slope = 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * GeluKernels.Sqrt2OverPi * (1f + 3f * GeluKernels.Cubic * x * x);
        dInput[i] += slope * dOutput[i];
    }

    /// <summary>Inverted dropout: output = input / (1 − p) where the (seed, index) hash keeps the element, else 0;
    /// the mask is <see cref="ElementwiseKernels.Keeps"/>'s, bit for bit. output may be input.</summary>
    /// <param name="input">(count) values.</param>
    /// <param name="output">(count) results.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="seed">The mask's seed.</param>
    /// <param name="scale">1 / (1 − p), from the host: OpenCL's float division need not round as C#'s does.</param>
    [Kernel]
    internal static void DropoutForward(ArrayView<float> input, ArrayView<float> output, int count, float p, ulong seed, float scale)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        output[i] = Keeps(seed, i, p) ? input[i] * scale : 0f;
    }

    /// <summary>dInput += dOutput / (1 − p) where the same mask keeps the element.</summary>
    /// <param name="dOutput">(count) gradient with respect to the output.</param>
    /// <param name="dInput">(count) accumulates the gradient with respect to the input.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="seed">The mask's seed.</param>
    /// <param name="scale">1 / (1 − p), from the host.</param>
    [Kernel]
    internal static void DropoutBackward(ArrayView<float> dOutput, ArrayView<float> dInput, int count, float p, ulong seed, float scale)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        if (Keeps(seed, i, p)) dInput[i] += dOutput[i] * scale;
    }

    /// <summary>The dropout mask: the top 24 bits of CounterRng.Hash(seed, index) as a unit float, kept when ≥ p.</summary>
    private static bool Keeps(ulong seed, int index, float p) =>
        (CounterRng.Hash(seed, (ulong)index) >> 40) * (1.0f / (1 << 24)) >= p;

    /// <summary>tanh(sqrt(2/pi) (x + 0.044715 x³)), shared by forward and backward.</summary>
    private static float GeluTanh(float x) =>
        KernelMath.Tanh(GeluKernels.Sqrt2OverPi * (x + GeluKernels.Cubic * x * x * x));
}

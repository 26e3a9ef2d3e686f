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

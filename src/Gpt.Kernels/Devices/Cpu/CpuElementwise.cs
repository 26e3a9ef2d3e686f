using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Gpt.Kernels.Random;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Elementwise arithmetic, copies and dropout on the CPU: SIMD, split across threads for large
/// counts. Same signatures and results as <see cref="ElementwiseKernels"/> (bit-identical: every
/// element sees the same single IEEE operation).
/// </summary>
internal static unsafe class CpuElementwise
{
    // Elements per thread below which the hand-off (microseconds) costs more than the work.
    private const int Grain = 1 << 15;

    private struct Operands
    {
        public float* A, B, Output;
        public float Alpha;
        public float Scale;
        public uint KeepThreshold;
        public ulong Seed;
    }

    /// <inheritdoc cref="ElementwiseKernels.Add"/>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        fixed (float* pa = a, pb = b, po = output)
        {
            var s = new Operands { A = pa, B = pb, Output = po };
            CpuRanges.For(count, Grain, &s, &AddRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.AddInPlace"/>
    public static void AddInPlace(Span<float> accumulator, ReadOnlySpan<float> x, int count)
    {
        KernelGuards.Count(count, accumulator.Length, nameof(accumulator), x.Length, nameof(x));
        KernelGuards.SameOrDisjoint(x, accumulator, count, nameof(x), nameof(accumulator));
        fixed (float* pa = accumulator, px = x)
        {
            var s = new Operands { A = pa, B = px, Output = pa };
            CpuRanges.For(count, Grain, &s, &AddRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.Scale"/>
    public static void Scale(ReadOnlySpan<float> x, float alpha, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        fixed (float* px = x, po = output)
        {
            var s = new Operands { A = px, Output = po, Alpha = alpha };
            CpuRanges.For(count, Grain, &s, &ScaleRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.Multiply"/>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        KernelGuards.SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        KernelGuards.SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        fixed (float* pa = a, pb = b, po = output)
        {
            var s = new Operands { A = pa, B = pb, Output = po };
            CpuRanges.For(count, Grain, &s, &MultiplyRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.MultiplyAccumulate"/>
    public static void MultiplyAccumulate(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> accumulator, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(accumulator.Length, count, nameof(accumulator), "count");
        KernelGuards.SameOrDisjoint(a, accumulator, count, nameof(a), nameof(accumulator));
        KernelGuards.SameOrDisjoint(b, accumulator, count, nameof(b), nameof(accumulator));
        fixed (float* pa = a, pb = b, po = accumulator)
        {
            var s = new Operands { A = pa, B = pb, Output = po };
            CpuRanges.For(count, Grain, &s, &MultiplyAccumulateRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.Fill"/>
    public static void Fill(Span<float> output, float value, int count)
    {
        KernelGuards.NonNegative(count, nameof(count));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        fixed (float* po = output)
        {
            var s = new Operands { Output = po, Alpha = value };
            CpuRanges.For(count, Grain, &s, &FillRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.Copy"/>
    public static void Copy(ReadOnlySpan<float> x, Span<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        fixed (float* px = x, po = output)
        {
            var s = new Operands { A = px, Output = po };
            CpuRanges.For(count, Grain, &s, &CopyRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.DropoutForward"/>
    public static void DropoutForward(ReadOnlySpan<float> input, Span<float> output, int count, float p, ulong seed)
    {
        KernelGuards.Dropout(input.Length, nameof(input), output.Length, nameof(output), count, p);
        KernelGuards.SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        fixed (float* pi = input, po = output)
        {
            var s = new Operands { A = pi, Output = po, Scale = 1f / (1f - p), KeepThreshold = KeepThreshold(p), Seed = seed };
            CpuRanges.For(count, Grain / 4, &s, &DropoutRange);
        }
    }

    /// <inheritdoc cref="ElementwiseKernels.DropoutBackward"/>
    public static void DropoutBackward(ReadOnlySpan<float> dOutput, Span<float> dInput, int count, float p, ulong seed)
    {
        KernelGuards.Dropout(dOutput.Length, nameof(dOutput), dInput.Length, nameof(dInput), count, p);
        fixed (float* pd = dOutput, pi = dInput)
        {
            // The same masked scaling as forward, added onto dInput.
            var s = new Operands { A = pd, B = pi, Output = pi, Scale = 1f / (1f - p), KeepThreshold = KeepThreshold(p), Seed = seed };
            CpuRanges.For(count, Grain / 4, &s, &DropoutRange);
        }
    }

    private static void AddRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        TensorPrimitives.Add(new ReadOnlySpan<float>(s.A + start, length), new ReadOnlySpan<float>(s.B + start, length),
            new Span<float>(s.Output + start, length));
    }

    private static void ScaleRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(s.A + start, length), s.Alpha, new Span<float>(s.Output + start, length));
    }

    private static void MultiplyRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(s.A + start, length), new ReadOnlySpan<float>(s.B + start, length),
            new Span<float>(s.Output + start, length));
    }

    // (a·b) + accumulator rounded twice, not fused: the reference's accumulator += a·b, bit for bit.
    private static void MultiplyAccumulateRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        var accumulator = new Span<float>(s.Output + start, length);
        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(s.A + start, length), new ReadOnlySpan<float>(s.B + start, length),
            accumulator, accumulator);
    }

    private static void FillRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        new Span<float>(s.Output + start, length).Fill(s.Alpha);
    }

    private static void CopyRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        new ReadOnlySpan<float>(s.A + start, length).CopyTo(new Span<float>(s.Output + start, length));
    }

    // u = (bits >> 40) * 2^-24 is exact, so u >= p  <=>  (bits >> 40) >= ceil(p * 2^24): an integer
    // compare that gives exactly the reference's mask.
    private static uint KeepThreshold(float p) => (uint)Math.Ceiling(p * (double)(1 << 24));

    // output = keep ? a * scale : 0, plus b when B is set (the backward pass accumulates).
    private static void DropoutRange(void* state, int start, int length)
    {
        ref Operands s = ref CpuParallel.State<Operands>(state);
        float* a = s.A + start, output = s.Output + start, b = s.B == null ? null : s.B + start;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(s.Scale);
            Vector256<uint> threshold = Vector256.Create(s.KeepThreshold);
            Vector256<ulong> lanes = Vector256.Create(0UL, 1, 2, 3);
            for (; i <= length - 8; i += 8)
            {
                ulong index = (ulong)(start + i);
                Vector256<ulong> low = Hash(s.Seed, lanes + Vector256.Create(index));
                Vector256<ulong> high = Hash(s.Seed, lanes + Vector256.Create(index + 4));
                Vector256<uint> draws = Vector256.Narrow(low >>> 40, high >>> 40);
                Vector256<float> keep = Vector256.GreaterThanOrEqual(draws, threshold).AsSingle();
                Vector256<float> scaled = Vector256.Load(a + i) * scale;
                Vector256<float> value = b == null
                    ? Vector256.BitwiseAnd(scaled, keep)
                    : Vector256.ConditionalSelect(keep, Vector256.Load(b + i) + scaled, Vector256.Load(b + i));
                Vector256.Store(value, output + i);
            }
        }
        for (; i < length; i++)
        {
            bool keep = (CounterRng.Hash(s.Seed, (ulong)(start + i)) >> 40) >= s.KeepThreshold;
            if (b != null) output[i] = keep ? b[i] + a[i] * s.Scale : b[i];
            else output[i] = keep ? a[i] * s.Scale : 0f;
        }
    }

    // CounterRng.Hash on four counters at once.
    private static Vector256<ulong> Hash(ulong seed, Vector256<ulong> index)
    {
        Vector256<ulong> z = Vector256.Create(seed) + (index + Vector256<ulong>.One) * Vector256.Create(0x9E3779B97F4A7C15UL);
        z = (z ^ (z >>> 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >>> 27)) * Vector256.Create(0x94D049BB133111EBUL);
        return z ^ (z >>> 31);
    }
}

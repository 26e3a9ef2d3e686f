using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// GELU (tanh approximation) on the CPU: SIMD, split across threads for large counts. Uses the
/// identity 0.5 (1 + tanh a) = 1 / (1 + exp(-2a)), one vector exp per element; results agree with
/// <see cref="GeluKernels"/> to float rounding. Same signatures.
/// </summary>
internal static unsafe class CpuGelu
{
    private const int Grain = 1 << 14;

    private struct Job
    {
        public float* Input, DOutput, Output;
    }

    /// <inheritdoc cref="GeluKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), output.Length, nameof(output));
        KernelGuards.SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        fixed (float* pi = input, po = output)
        {
            var job = new Job { Input = pi, Output = po };
            CpuRanges.For(count, Grain, &job, &ForwardRange);
        }
    }

    /// <inheritdoc cref="GeluKernels.Backward"/>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, Span<float> dInput, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        fixed (float* pi = input, pd = dOutput, po = dInput)
        {
            var job = new Job { Input = pi, DOutput = pd, Output = po };
            CpuRanges.For(count, Grain, &job, &BackwardRange);
        }
    }

    // sigma = 0.5 (1 + tanh a) = 1 / (1 + exp(-2a)), a = sqrt(2/pi) (x + 0.044715 x^3).
    private static Vector256<float> Sigma(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Create(-2f * GeluKernels.Sqrt2OverPi) * (x + Vector256.Create(GeluKernels.Cubic) * x * x * x);
        return Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(a));
    }

    private static float Sigma(float x) =>
        1f / (1f + MathF.Exp(-2f * GeluKernels.Sqrt2OverPi * (x + GeluKernels.Cubic * x * x * x)));

    private static void ForwardRange(void* state, int start, int length)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        float* x = job.Input + start, y = job.Output + start;
        int i = 0;
        for (; i <= length - 8; i += 8)
        {
            Vector256<float> v = Vector256.Load(x + i);
            Vector256.Store(v * Sigma(v), y + i);
        }
        for (; i < length; i++) y[i] = x[i] * Sigma(x[i]);
    }

    // gelu'(x) = sigma + 0.5 x (1 - tanh^2) a' = sigma + 2 x sigma (1 - sigma) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    private static void BackwardRange(void* state, int start, int length)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        float* x = job.Input + start, dy = job.DOutput + start, dx = job.Output + start;
        Vector256<float> k = Vector256.Create(2f * GeluKernels.Sqrt2OverPi), c3 = Vector256.Create(3f * GeluKernels.Cubic);
        int i = 0;
        for (; i <= length - 8; i += 8)
        {
            Vector256<float> v = Vector256.Load(x + i);
            Vector256<float> sigma = Sigma(v);
            Vector256<float> slope = sigma + k * v * sigma * (Vector256<float>.One - sigma) * (Vector256<float>.One + c3 * v * v);
            Vector256.Store(Vector256.FusedMultiplyAdd(slope, Vector256.Load(dy + i), Vector256.Load(dx + i)), dx + i);
        }
        for (; i < length; i++)
        {
            float v = x[i], sigma = Sigma(v);
            float slope = sigma + 2f * GeluKernels.Sqrt2OverPi * v * sigma * (1f - sigma) * (1f + 3f * GeluKernels.Cubic * v * v);
            dx[i] += slope * dy[i];
        }
    }
}

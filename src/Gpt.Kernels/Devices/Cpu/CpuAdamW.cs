using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// The AdamW step on the CPU: SIMD, split across threads. Each element goes through exactly the
/// reference's operations in the same order (no fused multiply-add), so results are bit-identical
/// to <see cref="AdamWKernels"/>. Same signature.
/// </summary>
internal static unsafe class CpuAdamW
{
    private const int Grain = 1 << 15;

    private struct Job
    {
        public float* Param, Grad, M, V;
        public float LearningRate, Beta1, Beta2, Epsilon, WeightDecay, GradScale, Correction1, Correction2;
    }

    /// <inheritdoc cref="AdamWKernels.Step"/>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, int count,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
    {
        KernelGuards.AdamW(param.Length, grad.Length, m.Length, v.Length, count,
            learningRate, beta1, beta2, epsilon, weightDecay, step, gradScale);
        AdamWKernels.BiasCorrections(beta1, beta2, step, out float correction1, out float correction2);
        fixed (float* pp = param, pg = grad, pm = m, pv = v)
        {
            var job = new Job
            {
                Param = pp, Grad = pg, M = pm, V = pv, LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2,
                Epsilon = epsilon, WeightDecay = weightDecay, GradScale = gradScale,
                Correction1 = correction1, Correction2 = correction2,
            };
            CpuRanges.For(count, Grain, &job, &StepRange);
        }
    }

    private static void StepRange(void* state, int start, int length)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        float* param = job.Param + start, grad = job.Grad + start, m = job.M + start, v = job.V + start;
        Vector256<float> b1 = Vector256.Create(job.Beta1), b2 = Vector256.Create(job.Beta2);
        Vector256<float> oneMinusB1 = Vector256.Create(1f - job.Beta1), oneMinusB2 = Vector256.Create(1f - job.Beta2);
        Vector256<float> scale = Vector256.Create(job.GradScale), lr = Vector256.Create(job.LearningRate);
        Vector256<float> eps = Vector256.Create(job.Epsilon), wd = Vector256.Create(job.WeightDecay);
        Vector256<float> c1 = Vector256.Create(job.Correction1), c2 = Vector256.Create(job.Correction2);
        int i = 0;
        for (; i <= length - 8; i += 8)
        {
            Vector256<float> g = Vector256.Load(grad + i) * scale;
            Vector256<float> mi = b1 * Vector256.Load(m + i) + oneMinusB1 * g;
            Vector256<float> vi = b2 * Vector256.Load(v + i) + oneMinusB2 * g * g;
            Vector256.Store(mi, m + i);
            Vector256.Store(vi, v + i);
            Vector256<float> p = Vector256.Load(param + i);
            Vector256<float> update = (mi / c1) / (Vector256.Sqrt(vi / c2) + eps) + wd * p;
            Vector256.Store(p - lr * update, param + i);
        }
        for (; i < length; i++)
        {
            float g = grad[i] * job.GradScale;
            float mi = job.Beta1 * m[i] + (1f - job.Beta1) * g;
            float vi = job.Beta2 * v[i] + (1f - job.Beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            param[i] -= job.LearningRate * (mi / job.Correction1 / (MathF.Sqrt(vi / job.Correction2) + job.Epsilon) + job.WeightDecay * param[i]);
        }
    }
}

using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// One AdamW step (Loshchilov and Hutter: decoupled weight decay, bias-corrected moments), the
/// reference version: <see cref="Gpu.AdamWGpuKernels.Step"/>, one thread per parameter, run on the CPU.
/// </summary>
internal static class AdamWKernels
{
    /// <summary>Updates parameters and moments in place:
    /// g = grad * gradScale; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    /// param -= lr * (m / (1 - b1^step) / (sqrt(v / (1 - b2^step)) + eps) + weightDecay * param).</summary>
    /// <param name="param">(count) parameters, updated.</param>
    /// <param name="grad">(count) gradients.</param>
    /// <param name="m">(count) first moments, updated.</param>
    /// <param name="v">(count) second moments, updated.</param>
    /// <param name="count">Number of parameters.</param>
    /// <param name="learningRate">Step size, zero or positive.</param>
    /// <param name="beta1">First-moment decay in [0, 1).</param>
    /// <param name="beta2">Second-moment decay in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, zero or positive.</param>
    /// <param name="weightDecay">Decoupled decay factor, zero or positive (pass 0 for biases and norms).</param>
    /// <param name="step">1 for the first step; the bias correction depends on it.</param>
    /// <param name="gradScale">Multiplies every gradient first (gradient clipping, loss-scale undo); 1 for none.</param>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, int count,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
    {
        KernelGuards.AdamW(param.Length, grad.Length, m.Length, v.Length, count,
            learningRate, beta1, beta2, epsilon, weightDecay, step, gradScale);
        BiasCorrections(beta1, beta2, step, out float correction1, out float correction2);
        if (count == 0) return;
        AdamWGpuKernels.StepKernel.LaunchCpu(ReferenceLaunch.Groups(count), ReferenceLaunch.GroupSize, param, ReferenceLaunch.Writable(grad), m, v, count,
            learningRate, beta1, beta2, epsilon, weightDecay, correction1, correction2, gradScale);
    }

    /// <summary>1 - beta1^step and 1 - beta2^step, computed in double so late steps keep their precision.</summary>
    internal static void BiasCorrections(float beta1, float beta2, int step, out float correction1, out float correction2)
    {
        correction1 = (float)(1.0 - Math.Pow(beta1, step));
        correction2 = (float)(1.0 - Math.Pow(beta2, step));
    }
}

using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>The AdamW step for GPU devices: one thread per parameter, as <see cref="AdamWKernels.Step"/>.</summary>
internal static partial class AdamWGpuKernels
{
    /// <summary>One AdamW step (decoupled weight decay); the bias corrections 1 − β^step come from the host.</summary>
    /// <param name="param">(count) parameters, updated.</param>
    /// <param name="grad">(count) gradients.</param>
    /// <param name="m">(count) first moments, updated.</param>
    /// <param name="v">(count) second moments, updated.</param>
    /// <param name="count">Number of parameters.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator guard.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="correction1">1 − beta1^step.</param>
    /// <param name="correction2">1 − beta2^step.</param>
    /// <param name="gradScale">Factor applied to each gradient first (clipping, loss scaling).</param>
    [Kernel]
    internal static void Step(ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, int count,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, float correction1, float correction2,
        float gradScale)
    {
        int i = Grid.GlobalIndex.X;
        if (i >= count) return;
        float g = grad[i] * gradScale;
        float mi = beta1 * m[i] + (1f - beta1) * g;
        float vi = beta2 * v[i] + (1f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float mHat = mi / correction1;
        float vHat = vi / correction2;
        param[i] -= learningRate * (mHat / (KernelMath.Sqrt(vHat) + epsilon) + weightDecay * param[i]);
    }
}

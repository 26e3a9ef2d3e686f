namespace Gpt.Kernels.Tests;

/// <summary>Central finite differences: checks an analytic gradient against the change in a scalar
/// loss when each input moves by ±h.</summary>
internal static class GradientCheck
{
    /// <summary>Perturbs each element of <paramref name="x"/> (or every stride-th when large), re-evaluates
    /// <paramref name="loss"/> and compares (L(x+h) - L(x-h)) / 2h with <paramref name="analytic"/>.</summary>
    /// <param name="x">The input, perturbed in place and restored.</param>
    /// <param name="analytic">dL/dx from the backward kernel.</param>
    /// <param name="loss">Evaluates the loss at the current <paramref name="x"/> with the forward kernel.</param>
    /// <param name="h">Step; the forward runs in float, so 1e-2..1e-3 balances rounding and truncation.</param>
    /// <param name="relative">Tolerance relative to each gradient element.</param>
    /// <param name="absolute">Tolerance relative to the gradient's largest magnitude (float rounding in L).</param>
    public static void Check(float[] x, ReadOnlySpan<float> analytic, Func<double> loss,
        float h = 1e-2f, double relative = 1e-2, double absolute = 1e-3, int maxChecks = 400)
    {
        Assert.Equal(x.Length, analytic.Length);
        double scale = 0;
        foreach (float g in analytic) scale = Math.Max(scale, Math.Abs(g));
        Assert.True(scale > 0, "the analytic gradient is all zero: the check would prove nothing");

        int stride = Math.Max(1, x.Length / maxChecks);
        for (int i = 0; i < x.Length; i += stride)
        {
            float saved = x[i];
            x[i] = saved + h;
            double plus = loss();
            x[i] = saved - h;
            double minus = loss();
            x[i] = saved;
            // The step actually taken, after rounding to float.
            double numeric = (plus - minus) / ((double)(saved + h) - (saved - h));
            double error = Math.Abs(numeric - analytic[i]);
            double limit = relative * Math.Abs(analytic[i]) + absolute * scale;
            if (!(error <= limit))
                Assert.Fail($"element {i}: analytic {analytic[i]:R}, numeric {numeric:R}, error {error:E3} > limit {limit:E3}");
        }
    }
}

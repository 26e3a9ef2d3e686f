namespace Gpt.Kernels.Compute;

/// <summary>erf in double precision for the CPU side of <see cref="KernelMath.Erf"/> (.NET has no erf).</summary>
internal static class ErrorFunction
{
    /// <summary>erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)).</summary>
    /// <remarks>Every term of that series is positive, so nothing cancels; it needs about x² + 40 terms.
    /// From |x| = 6 on, erf is ±1 to double precision.</remarks>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        if (a >= 6) return Math.Sign(x);
        double term = a, sum = a, twoXSquared = 2 * a * a;
        for (int n = 1; term > sum * 1e-17; n++)
        {
            term *= twoXSquared / (2 * n + 1);
            sum += term;
        }
        double result = 2 / Math.Sqrt(Math.PI) * Math.Exp(-a * a) * sum;
        return x < 0 ? -result : result;
    }
}

using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Compute;

/// <summary>The math functions a kernel may call (float unless noted). On a GPU they map to the device's
/// built-ins (OpenCL <c>exp</c>, CUDA <c>expf</c>, ...), whose last-bit accuracy may differ from the CPU's.</summary>
public static class KernelMath
{
    /// <summary>e^x.</summary>
    /// <param name="x">The exponent.</param>
    public static float Exp(float x) => MathF.Exp(x);

    /// <summary>Natural logarithm.</summary>
    /// <param name="x">A positive value.</param>
    public static float Log(float x) => MathF.Log(x);

    /// <summary>ln(1 + x), accurate where x is tiny (log-sigmoid's ln(1 + e^−|x|) for large |x|, where ln(1 + x)
    /// rounds 1 + x to 1 and loses x altogether). OpenCL <c>log1p</c>, CUDA <c>log1pf</c>.</summary>
    /// <param name="x">A value of at least −1.</param>
    public static float Log1p(float x)
    {
        // In double, with Kahan's correction: log(u)·x/(u − 1) cancels the rounding of u = 1 + x (.NET's
        // float.LogP1 is a plain log(1 + x)); exact to float for every input.
        double u = 1.0 + x;
        return u == 1.0 || double.IsPositiveInfinity(u) ? x : (float)(Math.Log(u) * (x / (u - 1.0)));
    }

    /// <summary>Square root.</summary>
    /// <param name="x">A non-negative value.</param>
    public static float Sqrt(float x) => MathF.Sqrt(x);

    /// <summary>1 / sqrt(x).</summary>
    /// <param name="x">A positive value.</param>
    public static float Rsqrt(float x) => 1f / MathF.Sqrt(x);

    /// <summary>Hyperbolic tangent.</summary>
    /// <param name="x">The argument.</param>
    public static float Tanh(float x) => MathF.Tanh(x);

    /// <summary>The error function, computed in double on the CPU (float-exact for every input).</summary>
    /// <param name="x">The argument.</param>
    public static float Erf(float x) => (float)ErrorFunction.Erf(x);

    /// <summary>x^y.</summary>
    /// <param name="x">The base.</param>
    /// <param name="y">The exponent.</param>
    public static float Pow(float x, float y) => MathF.Pow(x, y);

    /// <summary>a · b + c with one rounding.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">The addend.</param>
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary>|x|.</summary>
    /// <param name="x">The argument.</param>
    public static float Abs(float x) => MathF.Abs(x);

    /// <summary>|x| (int).</summary>
    /// <param name="x">The argument.</param>
    public static int Abs(int x) => Math.Abs(x);

    /// <summary>The largest integer not above x.</summary>
    /// <param name="x">The argument.</param>
    public static float Floor(float x) => MathF.Floor(x);

    /// <summary>The larger of a and b; if one is NaN, the other (C's <c>fmax</c>).</summary>
    /// <param name="a">First value.</param>
    /// <param name="b">Second value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float a, float b) => float.IsNaN(a) ? b : float.IsNaN(b) ? a : MathF.Max(a, b);

    /// <summary>The smaller of a and b; if one is NaN, the other (C's <c>fmin</c>).</summary>
    /// <param name="a">First value.</param>
    /// <param name="b">Second value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Min(float a, float b) => float.IsNaN(a) ? b : float.IsNaN(b) ? a : MathF.Min(a, b);

    /// <summary>The larger of a and b (int).</summary>
    /// <param name="a">First value.</param>
    /// <param name="b">Second value.</param>
    public static int Max(int a, int b) => Math.Max(a, b);

    /// <summary>The smaller of a and b (int).</summary>
    /// <param name="a">First value.</param>
    /// <param name="b">Second value.</param>
    public static int Min(int a, int b) => Math.Min(a, b);
}

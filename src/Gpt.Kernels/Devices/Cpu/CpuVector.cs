using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Small SIMD building blocks over raw float pointers, shared by the CPU fast paths: 8-wide
/// (<see cref="Vector256{T}"/>) bodies with scalar tails. The summation order is fixed by the
/// length alone, so results are reproducible.
/// </summary>
internal static unsafe class CpuVector
{
    /// <summary>sum x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(float* x, int n)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            a0 += Vector256.Load(x + i);
            a1 += Vector256.Load(x + i + 8);
        }
        if (i <= n - 8)
        {
            a0 += Vector256.Load(x + i);
            i += 8;
        }
        float sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += x[i];
        return sum;
    }

    /// <summary>sum (x[i] - center)^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumSquaredDeviations(float* x, float center, int n)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, c = Vector256.Create(center);
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            Vector256<float> d0 = Vector256.Load(x + i) - c, d1 = Vector256.Load(x + i + 8) - c;
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
        }
        if (i <= n - 8)
        {
            Vector256<float> d0 = Vector256.Load(x + i) - c;
            a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            i += 8;
        }
        float sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++)
        {
            float d = x[i] - center;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>sum a[i] * b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), a1);
        }
        if (i <= n - 8)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
            i += 8;
        }
        float sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y[i] += alpha * x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float alpha, float* x, float* y, int n)
    {
        Vector256<float> a = Vector256.Create(alpha);
        int i = 0;
        for (; i <= n - 8; i += 8)
            Vector256.Store(Vector256.FusedMultiplyAdd(a, Vector256.Load(x + i), Vector256.Load(y + i)), y + i);
        for (; i < n; i++) y[i] += alpha * x[i];
    }

    /// <summary>y[i] = alpha * y[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(float* y, float alpha, int n)
    {
        Vector256<float> a = Vector256.Create(alpha);
        int i = 0;
        for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(y + i) * a, y + i);
        for (; i < n; i++) y[i] *= alpha;
    }

    /// <summary>The largest x[i] (n &gt;= 1); NaN-free inputs assumed, as for logits and scores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float* x, int n)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (n >= 8)
        {
            Vector256<float> m = Vector256.Load(x);
            for (i = 8; i <= n - 8; i += 8) m = Vector256.Max(m, Vector256.Load(x + i));
            for (int lane = 0; lane < 8; lane++) max = MathF.Max(max, m[lane]);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>sum exp(x[i] - shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumExp(float* x, float shift, int n)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, s = Vector256.Create(shift);
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            a0 += Vector256.Exp(Vector256.Load(x + i) - s);
            a1 += Vector256.Exp(Vector256.Load(x + i + 8) - s);
        }
        if (i <= n - 8)
        {
            a0 += Vector256.Exp(Vector256.Load(x + i) - s);
            i += 8;
        }
        float sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += MathF.Exp(x[i] - shift);
        return sum;
    }

    /// <summary>y[i] = exp(x[i] - shift); returns the sum of the y. y may be x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float* x, float shift, float* y, int n)
    {
        Vector256<float> shiftV = Vector256.Create(shift), sumV = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256<float> e = Vector256.Exp(Vector256.Load(x + i) - shiftV);
            Vector256.Store(e, y + i);
            sumV += e;
        }
        float sum = Vector256.Sum(sumV);
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            y[i] = e;
            sum += e;
        }
        return sum;
    }
}

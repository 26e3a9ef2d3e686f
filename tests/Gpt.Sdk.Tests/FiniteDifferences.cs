namespace Gpt.Sdk.Tests;

/// <summary>Central finite differences of a scalar function of a float vector, checked against an analytic gradient.</summary>
internal static class FiniteDifferences
{
    /// <summary>For each element i: (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h against <paramref name="analytic"/>[i], with the
    /// mixed tolerance of the model gradient test (float32 losses limit the quotient's precision).</summary>
    public static void Check(float[] values, Action<float[]> set, Func<double> f, float[] analytic, string what, float h = 1e-2f)
    {
        Assert.Equal(values.Length, analytic.Length);
        for (int i = 0; i < values.Length; i++)
        {
            float original = values[i];
            values[i] = original + h;
            set(values);
            double plus = f();
            values[i] = original - h;
            set(values);
            double minus = f();
            values[i] = original;
            set(values);
            double numeric = (plus - minus) / (2 * h);
            double tolerance = 2e-3 + 3e-2 * Math.Abs(numeric);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance, $"{what}[{i}]: autograd {analytic[i]:G6}, finite difference {numeric:G6}");
        }

        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3); // the check is not vacuous
    }
}

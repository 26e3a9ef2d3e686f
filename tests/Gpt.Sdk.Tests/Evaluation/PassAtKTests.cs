using System.Numerics;
using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

public class PassAtKTests
{
    [Fact]
    public void EqualsBruteForceEnumerationOverSubsets()
    {
        // Every k-subset of n samples (the first c passing): the fraction holding at least one passing sample.
        for (int n = 1; n <= 10; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++)
                {
                    int subsets = 0, hit = 0;
                    for (int mask = 0; mask < 1 << n; mask++)
                    {
                        if (BitOperations.PopCount((uint)mask) != k) continue;
                        subsets++;
                        if ((mask & ((1 << c) - 1)) != 0) hit++;
                    }
                    Assert.Equal((double)hit / subsets, PassAtK.Estimate(n, c, k), 12);
                }
    }

    [Fact]
    public void FiniteAndExactUpToAThousandSamples()
    {
        foreach (int n in new[] { 100, 200, 500, 1000 })
            foreach (int c in new[] { 0, 1, 2, 7, n / 3, n / 2, n - 5, n })
                foreach (int k in new[] { 1, 2, 10, 100, n / 2, n })
                {
                    double estimate = PassAtK.Estimate(n, c, k);
                    Assert.True(double.IsFinite(estimate));
                    // Exact: 1 − C(n−c, k)/C(n, k) with big integers, the ratio scaled to 10^30 before dividing.
                    BigInteger scale = BigInteger.Pow(10, 30);
                    BigInteger ratio = Binomial(n - c, k) * scale / Binomial(n, k);
                    double exact = 1.0 - (double)ratio / 1e30;
                    Assert.True(Math.Abs(estimate - exact) <= 1e-12, $"n={n} c={c} k={k}: {estimate:R} vs exact {exact:R}");
                }
    }

    [Fact]
    public void KAboveSampleCountIsReportedNotComputed()
    {
        PassCount[] problems = [new(10, 3), new(5, 5)];
        var report = PassAtK.Report(problems, [1, 5, 10]);
        Assert.Equal([10], report.NotComputable);
        Assert.Equal(new[] { 1, 5 }, report.Values.Keys);
        Assert.Equal((0.3 + 1.0) / 2, report.Values[1], 12);
        Assert.Equal(0.65, report.ByName()["pass@1"], 12);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(5, 1, 6));
        Assert.Contains("at least 6 samples", error.Message);
    }

    private static BigInteger Binomial(int n, int k)
    {
        if (k < 0 || k > n) return BigInteger.Zero;
        BigInteger result = BigInteger.One;
        for (int i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result;
    }
}

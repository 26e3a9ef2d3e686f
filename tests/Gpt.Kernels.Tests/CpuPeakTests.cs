using System.Diagnostics;
using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class CpuPeakTests
{
    [Fact]
    public void MeasuredPeakHasPlausibleFactors()
    {
        var peak = CpuPeak.Measure(threads: 1, seconds: 0.02);
        Assert.Equal(1, peak.Threads);
        Assert.InRange(peak.ClockGHz, 0.5, 7);
        // One to four vector FMAs per cycle: every x86 and Arm core has one to four FMA pipes.
        Assert.InRange(peak.FmaUnits, 0.5, 4.5);
        Assert.Equal(peak.Threads * peak.FmaUnits * peak.VectorWidth * 2 * peak.ClockGHz, peak.Gflops, 6);
    }

    [Fact]
    public void PeakIsAboveWhatTheGemmReaches()
    {
        // The peak bounds every honest figure: a GEMM too small to be split over threads cannot beat one thread's peak.
        const int m = 96, n = 128, k = 160;
        var random = new System.Random(1234);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = random.NextSingle() - 0.5f;
        double best = double.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            long start = Stopwatch.GetTimestamp();
            CpuGemm.MatMul(a, b, c, m, n, k);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double gflops = 2.0 * m * n * k / best / 1e9;
        var peak = CpuPeak.Measure(threads: 1, seconds: 0.05);
        Assert.True(gflops <= peak.Gflops, $"{gflops:F1} GFLOP/s on one thread, above the measured peak {peak}");
    }

    [Fact]
    public void FigureAbovePeakIsRefusedAndOneBelowIsAFraction()
    {
        var peak = CpuPeak.Measure(threads: 1, seconds: 0.02);
        Assert.Equal(0.25, peak.Fraction(peak.Gflops / 4, "a quarter"), 9);
        // A hundred times the peak survives no re-measurement.
        var error = Assert.Throws<InvalidOperationException>(() => peak.Fraction(peak.Gflops * 100, "test figure"));
        Assert.Contains("test figure", error.Message);
        Assert.Contains("impossible", error.Message);
    }

    [Fact]
    public void MoreThreadsThanTheWorkersAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuPeak.Measure(threads: CpuParallel.ThreadCount + 1));
    }
}

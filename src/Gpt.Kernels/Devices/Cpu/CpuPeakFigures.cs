using System.Globalization;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>The fp32 peak <see cref="CpuPeak"/> measured, and the check every benchmark figure passes.</summary>
/// <param name="Threads">Threads counted.</param>
/// <param name="VectorWidth">Floats per vector of the widest FMA.</param>
/// <param name="ClockGHz">Core clock under FMA load, from the dependent-FMA chain.</param>
/// <param name="FmaUnits">Vector FMAs per cycle per thread (the FMA units, measured: 2 on most cores).</param>
/// <param name="Gflops">The peak: the measured vector FMAs per second of all threads x width x 2.</param>
internal sealed record CpuPeakFigures(int Threads, int VectorWidth, double ClockGHz, double FmaUnits, double Gflops)
{
    /// <summary><paramref name="gflops"/> as a fraction of the peak; throws when above 1, which only a
    /// wrong timing, a wrong flop count or a wrong thread count can produce.</summary>
    /// <param name="gflops">A measured GFLOP/s figure.</param>
    /// <param name="figure">What the figure is, for the error.</param>
    public double Fraction(double gflops, string figure)
    {
        double fraction = gflops / Gflops;
        if (fraction > 1)
        {
            // A peak measured while other processes held the cores could be low: measure again, longer,
            // before calling the figure impossible.
            double again = CpuPeak.Measure(Threads, seconds: 1).Gflops;
            if (gflops <= again) return gflops / again;
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{figure}: {gflops:F1} GFLOP/s is {fraction:F2} of this machine's fp32 peak ({this}), which is impossible: the timing, the flop count (2*M*N*K) or the thread count is wrong. Not reporting it."));
        }
        return fraction;
    }

    /// <summary>The peak and its factors, e.g. "307 GFLOP/s = 2 threads x 1.8 FMA/cycle x 16 lanes x 2 x 2.69 GHz".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Gflops:F0} GFLOP/s = {Threads} threads x {FmaUnits:F2} FMA/cycle x {VectorWidth} lanes x 2 x {ClockGHz:F2} GHz");
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpt.Kernels.Devices.Cpu.Gemm;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// The machine's fp32 arithmetic peak, measured: threads x FMA units x SIMD width x 2 x clock. No
/// benchmark can honestly exceed it, so benchmarks print their figures as a fraction of it and
/// refuse a figure above it (<see cref="CpuPeakFigures.Fraction"/>) instead of reporting a timing error as a speed-up.
/// </summary>
/// <remarks>
/// The clock comes from a chain of dependent fused multiply-adds (one per FMA latency, assumed 4
/// cycles: Skylake to Sapphire Rapids, Zen 2 to Zen 5); the FMA units per cycle from 12
/// independent chains on the widest vectors the CPU has (AVX-512 included, even where .NET prefers
/// 256-bit vectors), timed on every thread at once, so the clock the cores hold under wide FMA load
/// (lower than the nominal one on AVX-512 Xeons) is the one counted. Each thread keeps the best of
/// many short bursts, so a loaded machine (a burst pre-empted) does not lower the peak.
/// </remarks>
internal static unsafe class CpuPeak
{
    // FMA latency in cycles on every x86 core since Skylake and every Zen; the clock estimate assumes it.
    private const double FmaLatencyCycles = 4;

    // Loop iterations per burst: 12 FMAs each, about 50 µs at 5 G FMA/s, short enough that most
    // bursts run without a context switch even on a loaded machine.
    private const int BurstIterations = 20_000;

    private struct Job
    {
        public double* FmaPerSecond;
        public double* ChainPerSecond;
        public double Seconds;
    }

    /// <summary>Measures the peak of <paramref name="threads"/> threads (all of
    /// <see cref="CpuParallel"/>'s by default), spending about <paramref name="seconds"/> per thread.</summary>
    /// <param name="threads">Threads the figure is for; at most <see cref="CpuParallel.ThreadCount"/>.</param>
    /// <param name="seconds">Time each thread spends on its bursts.</param>
    public static CpuPeakFigures Measure(int threads = 0, double seconds = 0.1)
    {
        if (threads <= 0) threads = CpuParallel.ThreadCount;
        if (threads > CpuParallel.ThreadCount)
        {
            throw new ArgumentOutOfRangeException(nameof(threads),
                $"{threads} threads asked for, but CpuParallel runs {CpuParallel.ThreadCount} (set GPT_NUM_THREADS).");
        }
        double* fma = stackalloc double[threads];
        double* chain = stackalloc double[threads];
        var job = new Job { FmaPerSecond = fma, ChainPerSecond = chain, Seconds = seconds };
        CpuParallel.For(threads, &job, &MeasureThread);

        double total = 0, bestChain = 0;
        for (int t = 0; t < threads; t++)
        {
            total += fma[t];
            bestChain = Math.Max(bestChain, chain[t]);
        }
        double clock = bestChain * FmaLatencyCycles;
        return new CpuPeakFigures(threads, VectorWidth, clock / 1e9, total / threads / clock, total * VectorWidth * 2 / 1e9);
    }

    /// <summary>Floats per vector of the widest FMA the CPU has.</summary>
    public static int VectorWidth => Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : 4;

    private static void MeasureThread(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        (double fma, double chain) = Avx512F.IsSupported ? Bursts<GemmSimd512, Vector512<float>>(job.Seconds)
            : Fma.IsSupported ? Bursts<GemmSimd256, Vector256<float>>(job.Seconds)
            : Bursts<GemmSimd128, Vector128<float>>(job.Seconds);
        job.FmaPerSecond[item] = fma;
        job.ChainPerSecond[item] = chain;
    }

    // Best rates over bursts: independent vector FMAs per second, dependent ones per second.
    private static (double Fma, double Chain) Bursts<TOps, TV>(double seconds)
        where TOps : struct, IGemmSimd<TV> where TV : struct
    {
        double bestThroughput = double.MaxValue, bestChain = double.MaxValue;
        TV sink = TOps.Zero;
        long begin = Stopwatch.GetTimestamp();
        for (int burst = 0; burst < 8 || Stopwatch.GetElapsedTime(begin).TotalSeconds < seconds; burst++)
        {
            long start = Stopwatch.GetTimestamp();
            sink = TOps.Add(sink, Independent<TOps, TV>(BurstIterations));
            bestThroughput = Math.Min(bestThroughput, Stopwatch.GetElapsedTime(start).TotalSeconds);
            start = Stopwatch.GetTimestamp();
            sink = TOps.Add(sink, Dependent<TOps, TV>(BurstIterations / 4));
            bestChain = Math.Min(bestChain, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        GC.KeepAlive(sink);
        return (12.0 * BurstIterations / bestThroughput, 12.0 * (BurstIterations / 4) / bestChain);
    }

    // 12 chains, enough to cover 4 cycles of latency on 2 (or 3) FMA units.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Independent<TOps, TV>(int iterations) where TOps : struct, IGemmSimd<TV> where TV : struct
    {
        TV m = TOps.Splat(0.9999f), c = TOps.Splat(1e-4f);
        TV a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (int i = 0; i < iterations; i++)
        {
            a0 = TOps.MultiplyAdd(a0, m, c); a1 = TOps.MultiplyAdd(a1, m, c);
            a2 = TOps.MultiplyAdd(a2, m, c); a3 = TOps.MultiplyAdd(a3, m, c);
            a4 = TOps.MultiplyAdd(a4, m, c); a5 = TOps.MultiplyAdd(a5, m, c);
            a6 = TOps.MultiplyAdd(a6, m, c); a7 = TOps.MultiplyAdd(a7, m, c);
            a8 = TOps.MultiplyAdd(a8, m, c); a9 = TOps.MultiplyAdd(a9, m, c);
            a10 = TOps.MultiplyAdd(a10, m, c); a11 = TOps.MultiplyAdd(a11, m, c);
        }
        return TOps.Add(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)), TOps.Add(TOps.Add(TOps.Add(a4, a5), TOps.Add(a6, a7)),
            TOps.Add(TOps.Add(a8, a9), TOps.Add(a10, a11))));
    }

    // One chain, 12 FMAs per iteration: each waits for the previous, so the loop runs at one FMA per latency.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Dependent<TOps, TV>(int iterations) where TOps : struct, IGemmSimd<TV> where TV : struct
    {
        TV m = TOps.Splat(0.9999f), c = TOps.Splat(1e-4f), a = m;
        for (int i = 0; i < iterations; i++)
        {
            a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c);
            a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c);
            a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c);
            a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c); a = TOps.MultiplyAdd(a, m, c);
        }
        return a;
    }
}

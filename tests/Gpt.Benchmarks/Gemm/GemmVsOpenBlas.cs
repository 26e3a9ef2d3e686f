using System.Diagnostics;
using System.Globalization;
using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Benchmarks.Gemm;

/// <summary>
/// <c>dotnet run -c Release --project tests/Gpt.Benchmarks -- gemm-vs-openblas [--blocks N] [--repeat N] [--filter TEXT]</c>:
/// times CpuGemm and OpenBLAS cblas_sgemm at every GEMM shape of GPT-2 124M, on the same inputs and
/// thread count, in interleaved blocks so both see the same machine load. Prints one JSON line per
/// shape, then the whole comparison as a Markdown table: GFLOP/s (best and median), the ratios, and
/// each figure as a fraction of the machine's fp32 peak measured in the same run. A figure above the
/// peak stops the run with an error (exit code 3) instead of being printed.
/// <para>The paired ratio is the median, over the block pairs, of the ratio of the two sides' best times in
/// adjacent blocks: on a virtual machine whose speed changes for seconds at a time (both libraries drop to about
/// half for a while), the best of each side can come from different phases, while adjacent blocks share one.</para>
/// </summary>
internal static unsafe class GemmVsOpenBlas
{
    private const int PauseMilliseconds = 100;
    private const double WarmUpSeconds = 0.05;
    private const double MaxBlockSeconds = 0.4;

    private sealed record Result(GemmShape Shape, Timing Ours, Timing Theirs, double PairedRatio, double MaxAbsDiff)
    {
        // Best GFLOP/s of each side as fractions of the peak, set once checked against it.
        public double OursOfPeak { get; set; }

        public double TheirsOfPeak { get; set; }
    }

    private readonly record struct Timing(double Best, double Median);

    public static int Run(string[] args)
    {
        int repeat = 10, blocks = 4;
        string filter = "";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--repeat" && i + 1 < args.Length && int.TryParse(args[++i], out int r) && r > 0) repeat = r;
            else if (args[i] == "--blocks" && i + 1 < args.Length && int.TryParse(args[++i], out int b) && b > 0) blocks = b;
            else if (args[i] == "--filter" && i + 1 < args.Length) filter = args[++i];
            else
            {
                Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: gemm-vs-openblas [--blocks N] [--repeat N] [--filter TEXT]");
                return 2;
            }
        }
        if (!OpenBlas.TryLoad(out string error))
        {
            Console.Error.WriteLine($"OpenBLAS ({OpenBlas.Library}) is not installed, so there is nothing to compare with: {error}");
            Console.Error.WriteLine("Install it (Debian/Ubuntu: apt-get install -y libopenblas0) and run again.");
            return 1;
        }

        int threads = CpuParallel.ThreadCount;
        OpenBlas.SetThreadCount(threads);
        if (OpenBlas.GetThreadCount() != threads)
        {
            Console.Error.WriteLine($"OpenBLAS runs {OpenBlas.GetThreadCount()} threads, not the {threads} CpuGemm runs: the comparison would be unfair.");
            return 1;
        }
        var shapes = GemmShapes.All.Where(s => s.Use.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        if (shapes.Count == 0)
        {
            Console.Error.WriteLine($"No shape's use contains '{filter}'.");
            return 2;
        }

        // Measured for longer than the default so that a burst of load at the start does not lower it; a figure
        // above it makes Fraction measure again before refusing the figure.
        CpuPeakFigures peak = CpuPeak.Measure(threads, seconds: 0.5);
        string loadBefore = LoadAverage();
        Console.WriteLine(Invariant($"{{\"threads\":{threads},\"openblas_threads\":{OpenBlas.GetThreadCount()},\"openblas\":\"{OpenBlas.Config.Trim()}\",\"peak_gflops\":{peak.Gflops:F1},\"peak\":\"{peak}\",\"blocks\":{blocks},\"repeat\":{repeat},\"load_average\":\"{loadBefore}\"}}"));
        var results = new List<Result>();
        try
        {
            foreach (var shape in shapes)
            {
                var result = Measure(shape, blocks, repeat);
                Console.WriteLine(Json(result, peak));
                results.Add(result);
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine(e.Message);
            return 3;
        }
        Console.WriteLine();
        Console.WriteLine(Table(results, peak, threads, loadBefore, LoadAverage()));
        return 0;
    }

    private static Result Measure(GemmShape s, int blocks, int repeat)
    {
        var random = new Random(1234);
        float[] a = Fill(new float[(long)s.M * s.K], random), b = Fill(new float[(long)s.K * s.N], random);
        float[] c0 = Fill(new float[(long)s.M * s.N], random);
        float[] ours = (float[])c0.Clone(), theirs = (float[])c0.Clone();
        var oursTimes = new List<double>();
        var theirsTimes = new List<double>();
        fixed (float* pa = a, pb = b, pTheirs = theirs)
        {
            float* x = pa, y = pb, z = pTheirs;
            Action runOurs = () => CpuGemm.MatMul(a, b, ours, s.M, s.N, s.K, s.TransA, s.TransB, 1f, s.Beta);
            Action runTheirs = () => OpenBlas.MatMul(x, y, z, s.M, s.N, s.K, s.TransA, s.TransB, 1f, s.Beta);

            // Agreement first, from the same C: one call each.
            runOurs();
            runTheirs();
            double diff = MaxAbsDifference(ours, theirs);

            // Interleaved blocks, alternating which side goes first, with a pause after each so OpenBLAS's
            // workers (which spin for a while after a call) are asleep before our threads need the cores.
            var paired = new List<double>();
            for (int block = 0; block < blocks; block++)
            {
                bool oursFirst = block % 2 == 0;
                double first = Time(oursFirst ? runOurs : runTheirs, repeat, oursFirst ? oursTimes : theirsTimes);
                Thread.Sleep(PauseMilliseconds);
                double second = Time(oursFirst ? runTheirs : runOurs, repeat, oursFirst ? theirsTimes : oursTimes);
                Thread.Sleep(PauseMilliseconds);
                paired.Add(oursFirst ? second / first : first / second);
            }
            paired.Sort();
            double pairedRatio = paired.Count % 2 == 1 ? paired[paired.Count / 2] : (paired[paired.Count / 2 - 1] + paired[paired.Count / 2]) / 2;
            return new Result(s, Summary(oursTimes), Summary(theirsTimes), pairedRatio, diff);
        }
    }

    // A warm-up that is not timed (at least two calls: the first of a block may find cold caches and
    // sleeping workers), then up to `repeat` timed calls, fewer once the block has taken its time budget.
    // Returns the block's best time.
    private static double Time(Action run, int repeat, List<double> seconds)
    {
        double best = double.MaxValue;
        long warmUp = Stopwatch.GetTimestamp();
        for (int i = 0; i < 2 || Stopwatch.GetElapsedTime(warmUp).TotalSeconds < WarmUpSeconds; i++) run();
        long begin = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeat && (i < 2 || Stopwatch.GetElapsedTime(begin).TotalSeconds < MaxBlockSeconds); i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds.Add(elapsed);
            best = Math.Min(best, elapsed);
        }
        return best;
    }

    private static Timing Summary(List<double> seconds)
    {
        seconds.Sort();
        return new Timing(seconds[0], seconds[seconds.Count / 2]);
    }

    private static string Json(Result r, CpuPeakFigures peak)
    {
        var s = r.Shape;
        double ours = s.Flops / r.Ours.Best / 1e9, theirs = s.Flops / r.Theirs.Best / 1e9;
        double oursMedian = s.Flops / r.Ours.Median / 1e9, theirsMedian = s.Flops / r.Theirs.Median / 1e9;
        string what = Invariant($"{s.Use} (m={s.M}, n={s.N}, k={s.K})");
        r.OursOfPeak = peak.Fraction(ours, "CpuGemm, " + what);
        r.TheirsOfPeak = peak.Fraction(theirs, "OpenBLAS, " + what);
        return Invariant(
            $"{{\"use\":\"{s.Use}\",\"m\":{s.M},\"n\":{s.N},\"k\":{s.K},\"transA\":{Bool(s.TransA)},\"transB\":{Bool(s.TransB)},\"beta\":{s.Beta},") + Invariant(
            $"\"ours_gflops\":{ours:F1},\"ours_of_peak\":{r.OursOfPeak:F3},\"ours_median_gflops\":{oursMedian:F1},") + Invariant(
            $"\"openblas_gflops\":{theirs:F1},\"openblas_of_peak\":{r.TheirsOfPeak:F3},\"openblas_median_gflops\":{theirsMedian:F1},") + Invariant(
            $"\"ratio\":{ours / theirs:F3},\"median_ratio\":{oursMedian / theirsMedian:F3},\"paired_ratio\":{r.PairedRatio:F3},\"max_abs_diff\":{r.MaxAbsDiff:G3}}}");
    }

    private static string Table(List<Result> results, CpuPeakFigures peak, int threads, string loadBefore, string loadAfter)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(Invariant($"{threads} threads each; fp32 peak {peak}; load average {loadBefore} before, {loadAfter} after."));
        text.AppendLine("GFLOP/s = 2*M*N*K / best time (median in brackets); \"of peak\" = best GFLOP/s / peak (the peak is measured again, " +
            "longer, for a figure above it, and that figure's fraction is of the new measurement); \"paired\" = median over the " +
            "block pairs of the ratio of the two sides' best times in adjacent blocks (robust to the machine changing speed between blocks).");
        text.AppendLine();
        text.AppendLine("| use | M | N | K | ours | of peak | OpenBLAS | of peak | ratio (best) | ratio (median) | ratio (paired) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var s = r.Shape;
            double ours = s.Flops / r.Ours.Best / 1e9, theirs = s.Flops / r.Theirs.Best / 1e9;
            double oursMedian = s.Flops / r.Ours.Median / 1e9, theirsMedian = s.Flops / r.Theirs.Median / 1e9;
            text.AppendLine(Invariant(
                $"| {s.Use}{(s.TransA ? " (Aᵀ)" : "")}{(s.TransB ? " (Bᵀ)" : "")} | {s.M} | {s.N} | {s.K} | {ours:F1} ({oursMedian:F1}) | {r.OursOfPeak:F2} | {theirs:F1} ({theirsMedian:F1}) | {r.TheirsOfPeak:F2} | {ours / theirs:F2} | {oursMedian / theirsMedian:F2} | {r.PairedRatio:F2} |"));
        }
        return text.ToString();
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static double MaxAbsDifference(float[] x, float[] y)
    {
        double max = 0;
        for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        return max;
    }

    private static float[] Fill(float[] values, Random random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }
}

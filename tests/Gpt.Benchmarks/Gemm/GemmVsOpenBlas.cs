using System.Diagnostics;
using System.Globalization;
using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Benchmarks.Gemm;

/// <summary>
/// <c>dotnet run -c Release --project tests/Gpt.Benchmarks -- gemm-vs-openblas [--repeat N]</c>:
/// times CpuGemm and OpenBLAS cblas_sgemm on the same inputs and thread count, in alternating blocks
/// so both see the same machine load, and prints one JSON line per shape with the best GFLOP/s of each.
/// </summary>
internal static unsafe class GemmVsOpenBlas
{
    private sealed record Shape(int M, int K, int N, bool TransA = false, bool TransB = false, string Use = "");

    // (M, K, N): C[M, N] = op(A)[M, K] op(B)[K, N]. The `gpt bench gemm` shapes, then the ways the
    // model calls it in GPT-2 small training at B*T = 256 (Linear forward and both backward products).
    private static readonly Shape[] Shapes =
    [
        new(256, 768, 2304), new(256, 768, 768), new(256, 3072, 768), new(256, 768, 3072), new(1024, 1024, 1024),
        new(256, 768, 2304, TransB: true, Use: "qkv forward"),
        new(256, 2304, 768, Use: "qkv dInp"),
        new(2304, 256, 768, TransA: true, Use: "qkv dW"),
        new(256, 768, 3072, TransB: true, Use: "fc forward"),
        new(768, 256, 3072, TransA: true, Use: "proj dW"),
        new(256, 768, 50257, TransB: true, Use: "lm head forward"),
        new(256, 50257, 768, Use: "lm head dInp"),
        new(50257, 256, 768, TransA: true, Use: "lm head dW"),
        new(768, 128, 384, TransB: true, Use: "baby gpt"),
        new(1, 768, 2304, TransB: true, Use: "decode qkv"),
        new(1, 768, 50257, TransB: true, Use: "decode lm head"),
    ];

    private const int Blocks = 3;
    private const int PauseMilliseconds = 150;

    public static int Run(string[] args)
    {
        int repeat = 10;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--repeat" && i + 1 < args.Length && int.TryParse(args[++i], out int r) && r > 0) repeat = r;
            else
            {
                Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: gemm-vs-openblas [--repeat N]");
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
        Console.WriteLine(Invariant($"{{\"threads\":{threads},\"openblas_threads\":{OpenBlas.GetThreadCount()},\"openblas\":\"{OpenBlas.Config.Trim()}\",\"repeat\":{repeat},\"statistic\":\"best\"}}"));
        foreach (var shape in Shapes) Console.WriteLine(Measure(shape, repeat));
        return 0;
    }

    private static string Measure(Shape s, int repeat)
    {
        var random = new Random(1234);
        float[] a = Fill(new float[s.M * s.K], random), b = Fill(new float[s.K * s.N], random);
        float[] ours = new float[s.M * s.N], theirs = new float[s.M * s.N];
        double bestOurs = double.MaxValue, bestTheirs = double.MaxValue;
        fixed (float* pa = a, pb = b, pTheirs = theirs)
        {
            // Alternate blocks of runs so both libraries see the same machine load. A pause between
            // blocks lets OpenBLAS's workers, which spin for a while after each call, go to sleep
            // before our threads need the cores (and likewise for ours).
            for (int block = 0; block < Blocks; block++)
            {
                bestOurs = Math.Min(bestOurs, Best(repeat, () => CpuGemm.MatMul(a, b, ours, s.M, s.N, s.K, s.TransA, s.TransB)));
                Thread.Sleep(PauseMilliseconds);
                float* x = pa, y = pb, z = pTheirs;
                bestTheirs = Math.Min(bestTheirs, Best(repeat, () => OpenBlas.MatMul(x, y, z, s.M, s.N, s.K, s.TransA, s.TransB)));
                Thread.Sleep(PauseMilliseconds);
            }
        }

        double flops = 2.0 * s.M * s.N * s.K;
        double oursGflops = flops / bestOurs / 1e9, theirsGflops = flops / bestTheirs / 1e9;
        return Invariant(
            $"{{\"m\":{s.M},\"k\":{s.K},\"n\":{s.N},\"transA\":{Bool(s.TransA)},\"transB\":{Bool(s.TransB)},\"use\":\"{s.Use}\",\"ours_gflops\":{oursGflops:F1},\"openblas_gflops\":{theirsGflops:F1},\"ratio\":{oursGflops / theirsGflops:F3},\"max_abs_diff\":{MaxAbsDifference(ours, theirs):G3}}}");
    }

    // A warm-up (at least two runs and 200 ms, so tiered JIT has finished), then the best of up to
    // `repeat` timed runs, stopping early once a second has been spent (the LM-head shapes are slow).
    private static double Best(int repeat, Action run)
    {
        long warmUp = Stopwatch.GetTimestamp();
        for (int i = 0; i < 2 || Stopwatch.GetElapsedTime(warmUp).TotalMilliseconds < 200; i++) run();
        double best = double.MaxValue;
        long begin = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeat && (i < 3 || Stopwatch.GetElapsedTime(begin).TotalSeconds < 1); i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
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

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Cli.Commands.Bench;

/// <summary><c>gpt bench gemm</c>: GFLOP/s of a device's matrix multiply (the CPU's by default) at the transformer's shapes.</summary>
internal static class GemmBenchCommand
{
    // (M, K, N): C[M, N] = A[M, K] B[K, N]. The GPT-2 small linear layers at B*T = 256, and a square one.
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (256, 768, 2304), (256, 768, 768), (256, 3072, 768), (256, 768, 3072), (1024, 1024, 1024),
    ];

    private const int WarmUpMilliseconds = 300;

    public static Command Create()
    {
        var repeat = new Option<int>("--repeat")
        {
            Description = "Timed runs per shape, after a warm-up; the best one is reported.",
            DefaultValueFactory = _ => 20,
        };
        var device = DeviceOption.Create();
        var command = new Command("gemm",
            "Time a device's matrix multiply (no transposes; on the CPU all CpuParallel threads) at fixed shapes; " +
            "prints one JSON line with the best GFLOP/s per shape (flops = 2*M*N*K) and, on the CPU, each as a fraction of " +
            "the fp32 peak measured in the same run; a figure above that peak is an error, not a result.");
        command.Options.Add(repeat);
        command.Options.Add(device);
        command.SetAction(parseResult =>
        {
            int runs = parseResult.GetValue(repeat);
            if (runs < 1)
            {
                Console.Error.WriteLine($"--repeat must be at least 1 (got {runs}).");
                return 1;
            }
            var target = DeviceOption.Open(parseResult, device);
            try
            {
                Console.WriteLine(Run(target, runs));
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            return 0;
        });
        return command;
    }

    private static string Run(Device device, int runs)
    {
        // The CPU's peak bounds the CPU's figures only; a GPU's are printed as they are.
        CpuPeakFigures? peak = device.Kind == DeviceKind.Cpu ? CpuPeak.Measure() : null;
        var json = new StringBuilder("{");
        if (peak is not null)
        {
            json.Append(CultureInfo.InvariantCulture, $"\"threads\":{peak.Threads},\"peak_gflops\":{peak.Gflops:F1},\"peak\":\"{peak}\",");
        }
        json.Append("\"gemm\":[");
        for (int s = 0; s < Shapes.Length; s++)
        {
            var (m, k, n) = Shapes[s];
            double seconds = device.Kind == DeviceKind.Cpu ? BestSeconds(m, k, n, runs) : BestDeviceSeconds(device, m, k, n, runs);
            double gflops = 2.0 * m * n * k / seconds / 1e9;
            if (s > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $"{{\"m\":{m},\"k\":{k},\"n\":{n},\"gflops\":{gflops:F1}");
            if (peak is not null)
            {
                double fraction = peak.Fraction(gflops, string.Create(CultureInfo.InvariantCulture, $"gpt bench gemm (m={m}, k={k}, n={n})"));
                json.Append(CultureInfo.InvariantCulture, $",\"of_peak\":{fraction:F3}");
            }
            json.Append('}');
        }
        return json.Append("]}").ToString();
    }

    private static double BestSeconds(int m, int k, int n, int runs)
    {
        var random = new Random(1234);
        float[] a = Fill(new float[m * k], random), b = Fill(new float[k * n], random), c = new float[m * n];
        // Warm up long enough for the JIT to finish optimizing (tiering) and the workers to be awake.
        long warmUp = Stopwatch.GetTimestamp();
        for (int i = 0; i < 2 || Stopwatch.GetElapsedTime(warmUp).TotalMilliseconds < WarmUpMilliseconds; i++)
        {
            CpuGemm.MatMul(a, b, c, m, n, k);
        }
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            CpuGemm.MatMul(a, b, c, m, n, k);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    // Device memory, uploaded once; each timed run waits for the device to finish.
    private static double BestDeviceSeconds(Device device, int m, int k, int n, int runs)
    {
        var random = new Random(1234);
        using DeviceBuffer<float> a = device.Allocate<float>(m * k), b = device.Allocate<float>(k * n), c = device.Allocate<float>(m * n);
        Slice<float> sa = a.Slice(0, m * k), sb = b.Slice(0, k * n), sc = c.Slice(0, m * n);
        device.Upload<float>(Fill(new float[m * k], random), sa);
        device.Upload<float>(Fill(new float[k * n], random), sb);
        double best = double.MaxValue;
        for (int i = 0; i < runs + 2; i++)
        {
            long start = Stopwatch.GetTimestamp();
            device.MatMul(sa, sb, sc, m, n, k, false, false, 1f, 0f, Slice<float>.Empty);
            device.Synchronize();
            if (i >= 2) best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds); // two warm-up runs
        }
        return best;
    }

    private static float[] Fill(float[] values, Random random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }
}

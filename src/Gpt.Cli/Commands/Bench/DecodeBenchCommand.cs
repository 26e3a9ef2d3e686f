using System.CommandLine;
using Gpt.Kernels.Devices;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench decode</c>: KV-cached generation speed of GPT-2 124M (random weights): prefill of a
/// prompt, then greedy decoding, for B prompts at once, for each weight storage asked for (fp32, bf16, int8) in
/// the same run. Decoding a step reads every weight once, so the machine's memory read bandwidth (measured in
/// the same run: a multi-threaded sum over a 1 GB buffer) bounds it; the result reports decode speed as a
/// fraction of that bound, and the compact storages' speed-up over fp32. With <c>--data</c>, a small model
/// trained in the run gives each storage's perplexity on held-out text (<see cref="DecodePerplexity"/>).
/// </summary>
internal static class DecodeBenchCommand
{
    private const long BandwidthBytes = 1L << 30;
    private const int BandwidthChunk = 1 << 20; // floats per work item (4 MB)

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "Prompts decoded together (B).", DefaultValueFactory = _ => 1 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length per row.", DefaultValueFactory = _ => 128 };
        var newTokens = new Option<int>("--new-tokens") { Description = "Tokens generated per row.", DefaultValueFactory = _ => 128 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs; the best is reported.", DefaultValueFactory = _ => 3 };
        var weights = new Option<string>("--weights")
        {
            Description = "Weight storages to time, comma-separated, from fp32, bf16, int8 (each is compared with fp32 when that is listed).",
            DefaultValueFactory = _ => "fp32,bf16,int8",
        };
        var data = new Option<FileInfo>("--data")
        {
            Description = "A text file: a character model is trained on its first 90% in the run, and each storage's perplexity on the last 10% is reported.",
        };
        var trainSteps = new Option<int>("--train-steps") { Description = "Training steps of the --data model.", DefaultValueFactory = _ => 300 };
        var device = DeviceOption.Create();
        var command = new Command("decode",
            "Time KV-cached prefill and decoding of GPT-2 124M with fp32, bf16 and int8 weights against the measured memory bandwidth; " +
            "prints {\"decode\":{...}} JSON.")
        {
            batch, promptTokens, newTokens, repeat, weights, data, trainSteps, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int b = parse.GetValue(batch), prompt = parse.GetValue(promptTokens), generated = parse.GetValue(newTokens), runs = parse.GetValue(repeat);
            var config = GptConfig.Gpt2Small;
            if (b < 1 || b > 64) throw new ArgumentException($"--batch must be in [1, 64], got {b}.");
            if (prompt < 1 || generated < 1 || prompt + generated > config.ContextLength)
                throw new ArgumentException($"--prompt-tokens ({prompt}) and --new-tokens ({generated}) must be positive and fit the context of {config.ContextLength}.");
            if (runs < 1) throw new ArgumentException($"--repeat must be at least 1, got {runs}.");
            var storages = ParseStorages(parse.GetValue(weights)!);
            var dataFile = parse.GetValue(data);
            if (dataFile is { Exists: false }) throw new FileNotFoundException($"--data: '{dataFile.FullName}' does not exist.", dataFile.FullName);
            int steps = parse.GetValue(trainSteps);
            if (steps < 1) throw new ArgumentException($"--train-steps must be at least 1, got {steps}.");
            var target = DeviceOption.Open(parse, device);

            var result = new Dictionary<string, object> { ["model"] = "gpt2-124M (random weights)", ["threads"] = CpuParallel.ThreadCount };
            double? fp32 = null;
            foreach (var storage in storages)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var figures = Run(config, target, storage, b, prompt, generated, runs);
                double speed = (double)figures["decode_tokens_per_s"];
                if (storage == WeightStorage.Float32) fp32 = speed;
                else if (fp32 is { } reference) figures["speedup_vs_fp32"] = Math.Round(speed / reference, 2);
                result[WeightsOption.Name(storage)] = figures;
            }
            if (dataFile is not null)
                result["perplexity"] = await DecodePerplexity.RunAsync(dataFile.FullName, steps, storages, Console.Error, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["decode"] = result }));
            return 0;
        });
        return command;
    }

    private static List<WeightStorage> ParseStorages(string list)
    {
        var storages = new List<WeightStorage>();
        foreach (string name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!WeightsOption.Names.TryGetValue(name, out var storage))
                throw new ArgumentException($"--weights: '{name}' is not a weight storage; list some of {string.Join(", ", WeightsOption.Names.Keys)}.");
            if (!storages.Contains(storage)) storages.Add(storage);
        }
        if (storages.Count == 0) throw new ArgumentException("--weights lists no storage; give some of fp32, bf16, int8.");
        return storages;
    }

    private static Dictionary<string, object> Run(GptConfig config, Device device, WeightStorage storage, int batch, int prompt, int generated, int runs)
    {
        using var model = new GptModel(config, device, seed: 1);
        model.ConvertWeights(storage);
        var random = new Random(1);
        int[] prompts = new int[batch * prompt];
        for (int i = 0; i < prompts.Length; i++) prompts[i] = random.Next(config.VocabularySize);
        int vocab = config.VocabularySize;
        var logits = new float[batch * vocab];
        var next = new int[batch];
        using var cache = new KvCache(config, model.Device, batch, prompt + generated);
        using var tape = new Tape(model.Device);

        // Contention from other processes moves both the decode speed and the bandwidth, so each run measures
        // the bandwidth right before it and the fraction is taken per run; the median run is reported.
        long weightBytes = WeightBytes(model);
        double bestPrefill = double.MaxValue, bestStep = double.MaxValue, bestBandwidth = 0;
        var fractions = new List<double>();
        using var probe = new BandwidthProbe();
        for (int run = 0; run <= runs; run++) // run 0 warms up
        {
            double bandwidth = probe.Measure();
            for (int r = 0; r < batch; r++) cache.Truncate(r, 0);
            tape.Reset();
            long start = Stopwatch.GetTimestamp();
            model.ForwardCached(tape, cache, prompts).CopyTo(logits);
            double prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;

            start = Stopwatch.GetTimestamp();
            for (int step = 0; step < generated; step++)
            {
                for (int r = 0; r < batch; r++) next[r] = LogitProcessors.ArgMax(logits.AsSpan(r * vocab, vocab));
                if (step == generated - 1) break; // the last token is chosen, not fed
                tape.Reset();
                model.ForwardCached(tape, cache, next).CopyTo(logits);
            }
            double perStep = Stopwatch.GetElapsedTime(start).TotalSeconds / Math.Max(1, generated - 1);
            if (run == 0) continue;
            bestPrefill = Math.Min(bestPrefill, prefill);
            bestStep = Math.Min(bestStep, perStep);
            bestBandwidth = Math.Max(bestBandwidth, bandwidth);
            fractions.Add(weightBytes / perStep / bandwidth);
        }
        fractions.Sort();

        return new Dictionary<string, object>
        {
            ["batch"] = batch,
            ["prompt_tokens"] = prompt,
            ["new_tokens"] = generated,
            ["prefill_tokens_per_s"] = Math.Round(batch * prompt / bestPrefill, 1),
            ["decode_tokens_per_s"] = Math.Round(batch / bestStep, 2),
            ["decode_ms_per_step"] = Math.Round(1000 * bestStep, 2),
            ["weights_mb"] = Math.Round(weightBytes / 1e6, 1),
            ["read_bandwidth_gb_s"] = Math.Round(bestBandwidth / 1e9, 2),
            ["bound_decode_tokens_per_s"] = Math.Round(batch * bestBandwidth / weightBytes, 2),
            ["fraction_of_bound"] = Math.Round(fractions[fractions.Count / 2], 3),
        };
    }

    // Bytes a decoding step reads: every matrix in its storage and the fp32 vectors; the position table is left out
    // (a step reads one row of it).
    private static long WeightBytes(GptModel model) =>
        model.Parameters.Items.Where(p => p != model.PositionEmbedding).Sum(p => p.StorageBytes);

    private unsafe struct SumJob
    {
        public float* Data;
        public double* Sums;
    }

    // A 1 GB buffer (written once, so its pages are real) summed by all threads; best of three passes.
    private sealed unsafe class BandwidthProbe : IDisposable
    {
        private readonly float* _data = (float*)NativeMemory.AlignedAlloc((nuint)BandwidthBytes, 64);
        private readonly double* _sums = (double*)NativeMemory.Alloc((nuint)(BandwidthBytes / sizeof(float) / BandwidthChunk), sizeof(double));

        public BandwidthProbe() => new Span<float>(_data, (int)(BandwidthBytes / sizeof(float))).Fill(1f);

        public double Measure()
        {
            int items = (int)(BandwidthBytes / sizeof(float) / BandwidthChunk);
            var job = new SumJob { Data = _data, Sums = _sums };
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                long start = Stopwatch.GetTimestamp();
                CpuParallel.For(items, &job, &SumItem);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            double total = 0;
            for (int i = 0; i < items; i++) total += _sums[i];
            if (total != (double)items * BandwidthChunk) throw new InvalidOperationException("the bandwidth probe summed wrongly.");
            return BandwidthBytes / best;
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(_data);
            NativeMemory.Free(_sums);
        }
    }

    private static unsafe void SumItem(void* state, int item)
    {
        ref SumJob job = ref CpuParallel.State<SumJob>(state);
        float* x = job.Data + (long)item * BandwidthChunk;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = 0; i < BandwidthChunk; i += 32)
        {
            a0 += Vector256.LoadAligned(x + i);
            a1 += Vector256.LoadAligned(x + i + 8);
            a2 += Vector256.LoadAligned(x + i + 16);
            a3 += Vector256.LoadAligned(x + i + 24);
        }
        job.Sums[item] = Vector256.Sum(a0 + a1 + a2 + a3);
    }
}

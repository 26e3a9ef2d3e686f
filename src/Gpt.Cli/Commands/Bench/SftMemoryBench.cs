using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The memory and speed part of <c>gpt bench sft</c>: GPT-2 124M (random weights), B=4, T=64, SFT batches of random
/// tokens, fine-tuned with LoRA (r=8, alpha 16, c_attn + c_proj + c_fc, base frozen) and in full. Each mode runs in a
/// child process of its own, because the peak working set is a per-process figure: measured in one process, the
/// second mode would inherit the first one's peak.
/// </summary>
internal static class SftMemoryBench
{
    private const int Batch = 4, SeqLen = 64;
    private const double Mb = 1e6;
    private const double ExtraRatioGoal = 0.10, SpeedupGoal = 1.3;


    /// <summary>The adapter of the LoRA mode.</summary>
    public static LoraConfig Lora { get; } = new() { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj", "c_fc"] };

    /// <summary>Runs both modes, each in a child process, and compares them.</summary>
    /// <param name="device">The <c>--device</c> value, passed on to the children.</param>
    /// <param name="steps">Timed steps per mode.</param>
    /// <param name="warmup">Untimed steps first.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Kills the running child.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(string device, int steps, int warmup, TextWriter log, CancellationToken cancellationToken)
    {
        var modes = new Dictionary<string, JsonElement>();
        foreach (string mode in (string[])["lora", "full"])
        {
            log.WriteLine($"sft memory: {mode} fine-tune of GPT-2 124M in a child process, {warmup} + {steps} steps");
            modes[mode] = await RunChildAsync(mode, device, steps, warmup, cancellationToken);
        }

        double Get(string mode, string name) => modes[mode].GetProperty(name).GetDouble();
        double extraRatio = Get("lora", "extra_mb") / Get("full", "extra_mb");
        double speedup = Get("full", "ms_per_step") / Get("lora", "ms_per_step");
        // The fastest steps are the least disturbed by other processes: a second opinion on a busy machine.
        double speedupOfFastest = Get("full", "ms_per_step_min") / Get("lora", "ms_per_step_min");
        var suspicious = new List<string>();
        foreach (string mode in modes.Keys)
            if (modes[mode].GetProperty("suspicious").GetString() is { } problem) suspicious.Add($"{mode}: {problem}");
        // LoRA skips the base's weight gradients (a third of the FLOPs) and its optimizer sweep; it still runs every
        // forward and input-gradient GEMM, so it cannot be several times faster.
        if (speedup > 3) suspicious.Add($"full is {speedup:F1}x slower than LoRA; LoRA saves at most the weight gradients and the optimizer sweep");
        if (speedup < 0.8) suspicious.Add($"LoRA is {1 / speedup:F1}x slower than full, though it does a subset of full's work");

        return new Dictionary<string, object?>
        {
            ["model"] = "gpt2-124M fp32 (random weights)",
            ["batch"] = Batch,
            ["seq_len"] = SeqLen,
            ["lora"] = modes["lora"],
            ["full"] = modes["full"],
            ["comparison"] = new Dictionary<string, object>
            {
                ["extra_lora_over_full"] = Math.Round(extraRatio, 3),
                ["extra_goal"] = $"< {ExtraRatioGoal}",
                ["extra_met"] = extraRatio < ExtraRatioGoal,
                ["ms_full_over_lora"] = Math.Round(speedup, 2),
                ["ms_full_over_lora_fastest_steps"] = Math.Round(speedupOfFastest, 2),
                ["speed_goal"] = $">= {SpeedupGoal}",
                ["speed_met"] = speedup >= SpeedupGoal,
            },
            ["suspicious"] = suspicious.Count == 0 ? null : string.Join("; ", suspicious),
        };
    }

    /// <summary>The child's work: builds the model, trains one mode and prints its figures.</summary>
    /// <param name="device">Where to train.</param>
    /// <param name="mode"><c>lora</c> or <c>full</c>.</param>
    /// <param name="steps">Timed steps.</param>
    /// <param name="warmup">Untimed steps first.</param>
    public static Dictionary<string, object?> Measure(Device device, string mode, int steps, int warmup)
    {
        bool lora = mode == "lora";
        var config = GptConfig.Gpt2Small;
        using var model = new GptModel(config, device, seed: 1);
        LoraAdapter? adapter = lora ? model.AddLoraAdapter("bench", Lora, seed: 1) : null;
        // Before the first step: the weights, the gradient buffers of what is trainable, and the runtime. The peak so
        // far is the cost of building the model, which a training peak may or may not exceed.
        var built = CurrentProcess();
        long beforeTraining = built.WorkingSet64, peakBeforeTraining = built.PeakWorkingSet64;

        var options = new TrainingOptions
        {
            BatchSize = Batch,
            SequenceLength = SeqLen,
            MaxSteps = warmup + steps,
            LearningRate = 1e-4f,
            MinLearningRate = 1e-5f,
            WarmupSteps = 0,
            EvalInterval = 0,
        };
        var source = new SftBatchSource(RandomExamples(config.VocabularySize), Batch, options.Seed);
        using var trainer = new Trainer(model, new NextTokenObjective(source), options, adapter);
        for (int i = 0; i < warmup; i++) trainer.TrainStep();
        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            trainer.TrainStep();
            device.Synchronize(); // a GPU's queue may still be running the step
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        long peak = CurrentProcess().PeakWorkingSet64;

        Array.Sort(times);
        double median = times[steps / 2];
        double tokensPerSecond = Batch * SeqLen / (median / 1000);
        long weights = model.ParameterCount * sizeof(float);
        long activations = trainer.ActivationBytes;
        long trainable = trainer.Optimizer.Segments.Sum(s => (long)s.Count);
        // One gradient buffer per trainable segment, plus AdamW's two moments.
        long gradientsAndMoments = trainable * sizeof(float) + trainer.Optimizer.MomentBytes;
        long extra = peak - weights - activations;
        // A GPT-2 step costs about 6·N FLOPs per token in full (forward 2N, input and weight gradients 2N each) and 4·N
        // with the base frozen (no weight gradients); the adapter's own work is negligible at r=8.
        double gflops = (lora ? 4 : 6) * (double)model.ParameterCount * tokensPerSecond / 1e9;

        var problems = new List<string>();
        string? note = null;
        if (device.Kind == DeviceKind.Cpu)
        {
            // Measured, not assumed: the GEMM uses AVX-512 wherever the CPU has it, even where .NET
            // reports 512-bit vectors as not accelerated, so a fixed AVX2 ceiling could be wrong.
            double bound = CpuPeak.Measure().Gflops;
            if (gflops > bound)
                problems.Add($"{tokensPerSecond:F0} tokens/s implies {gflops:F0} GFLOP/s, above the ~{bound:F0} GFLOP/s {CpuParallel.ThreadCount} threads can do");
            if (peak < weights + activations)
                problems.Add($"the peak working set ({peak / Mb:F1} MB) is below weights + activations ({(weights + activations) / Mb:F1} MB): memory was not resident or is counted twice");
            else if (extra < gradientsAndMoments)
                problems.Add($"extra ({extra / Mb:F1} MB) is below the gradients and moments alone ({gradientsAndMoments / Mb:F1} MB)");
            // Building the model holds the base's gradient buffer (freed when LoRA freezes the base), so the process may
            // peak before training starts; then the peak, and extra, say more about construction than about training.
            if (peak - peakBeforeTraining < peak / 50)
                note = $"training raised the peak working set by only {(peak - peakBeforeTraining) / Mb:F1} MB over the peak of building the model " +
                    "(which holds a gradient buffer for the whole base until LoRA freezes it), so extra is an upper bound on what training needs";
        }
        else
        {
            note = "the working set is host memory, while weights, activations, gradients and moments live on the device: extra is not meaningful here";
        }

        return new Dictionary<string, object?>
        {
            ["mode"] = mode,
            ["device"] = device.Name,
            ["threads"] = CpuParallel.ThreadCount,
            ["steps"] = steps,
            ["warmup"] = warmup,
            ["trainable_parameters"] = trainable,
            ["ms_per_step"] = Math.Round(median, 2),
            ["ms_per_step_min"] = Math.Round(times[0], 2),
            ["tokens_per_s"] = Math.Round(tokensPerSecond, 1),
            ["gflops"] = Math.Round(gflops, 1),
            ["working_set_before_training_mb"] = Math.Round(beforeTraining / Mb, 1),
            ["peak_before_training_mb"] = Math.Round(peakBeforeTraining / Mb, 1),
            ["peak_working_set_mb"] = Math.Round(peak / Mb, 1),
            ["weights_mb"] = Math.Round(weights / Mb, 1),
            ["activations_mb"] = Math.Round(activations / Mb, 1),
            ["gradients_and_moments_mb"] = Math.Round(gradientsAndMoments / Mb, 1),
            ["extra_mb"] = Math.Round(extra / Mb, 1),
            ["suspicious"] = problems.Count == 0 ? null : string.Join("; ", problems),
            ["note"] = note,
        };
    }

    // A fresh Process object: a cached one would report the figures of when it was first read.
    private static Process CurrentProcess() => Process.GetCurrentProcess();

    /// <summary>Examples that fill a row exactly (T + 1 tokens): a prompt half without loss, a completion half with it.</summary>
    private static SftDataset RandomExamples(int vocabulary)
    {
        var random = new Random(1);
        var examples = new TokenizedExample[64];
        for (int e = 0; e < examples.Length; e++)
        {
            var tokens = new int[SeqLen + 1];
            var mask = new bool[SeqLen + 1];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(vocabulary);
            mask.AsSpan(SeqLen / 2).Fill(true);
            examples[e] = new TokenizedExample(tokens, mask);
        }
        return new SftDataset(examples, SeqLen);
    }

    /// <summary>Runs <c>gpt bench sft --part memory --mode M --child</c> with this process's own executable and parses the
    /// JSON it prints.</summary>
    private static Task<JsonElement> RunChildAsync(string mode, string device, int steps, int warmup, CancellationToken cancellationToken) =>
        BenchChild.RunAsync(mode, [], ["bench", "sft", "--part", "memory", "--mode", mode, "--child", "--device", device, "--steps", $"{steps}", "--warmup", $"{warmup}"],
            new Dictionary<string, string>(), cancellationToken);
}

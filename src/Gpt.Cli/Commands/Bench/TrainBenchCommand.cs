using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench train</c>: time of one training step (forward + backward + AdamW) on random tokens,
/// for GPT-2 124M (B=4, T=64) or the character-level baby GPT (B=12, T=64), with peak memory and
/// proof that steady-state steps neither allocate nor collect.
/// </summary>
internal static class TrainBenchCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "gpt2 (124M, B=4, T=64) or baby (4 layers, 128 wide, B=12, T=64, vocab 65).", DefaultValueFactory = _ => "gpt2" };
        config.AcceptOnlyFromAmong("gpt2", "baby");
        var steps = new Option<int>("--steps") { Description = "Timed steps (after warm-up).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 3 };
        var device = DeviceOption.Create();
        var command = new Command("train", "Time training steps; prints {\"train\":{...}} JSON.") { config, steps, warmup, device };
        command.SetAction(parse =>
        {
            var target = DeviceOption.Open(parse, device);
            bool baby = parse.GetValue(config) == "baby";
            var modelConfig = baby
                ? new GptConfig { VocabularySize = 65, ContextLength = 64, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 }
                : GptConfig.Gpt2Small;
            var options = new TrainingOptions { BatchSize = baby ? 12 : 4, SequenceLength = 64, MaxSteps = 1_000_000, EvalInterval = 0 };
            int timedSteps = Math.Max(1, parse.GetValue(steps));

            var random = new Random(1);
            var tokens = new int[1 << 20];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(modelConfig.VocabularySize);
            using var model = new GptModel(modelConfig, target, seed: 1);
            using var data = TokenDataset.FromTokens(tokens);
            using var trainer = new Trainer(model, data, null, options);
            for (int i = 0; i < parse.GetValue(warmup); i++) trainer.TrainStep();

            int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var times = new double[timedSteps];
            for (int i = 0; i < timedSteps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                trainer.TrainStep();
                target.Synchronize(); // a GPU's queue may still be running the step
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            long allocatedPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / timedSteps;
            Array.Sort(times);
            double median = times[timedSteps / 2];
            var result = new Dictionary<string, object>
            {
                ["config"] = baby ? "baby" : "gpt2",
                ["device"] = target.Name,
                ["batch"] = options.BatchSize,
                ["seq_len"] = options.SequenceLength,
                ["threads"] = CpuParallel.ThreadCount,
                ["ms_per_step"] = Math.Round(median, 2),
                ["ms_per_step_min"] = Math.Round(times[0], 2),
                ["tokens_per_s"] = Math.Round(options.BatchSize * options.SequenceLength / (median / 1000), 1),
                ["peak_memory_mb"] = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1e6, 1),
                ["activation_memory_mb"] = Math.Round(trainer.ActivationBytes / 1e6, 1),
                ["allocated_bytes_per_step"] = allocatedPerStep,
                ["gc_collections_during_timed_steps"] = new[]
                {
                    GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
                },
            };
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["train"] = result }));
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench sft</c>: the fine-tuning benchmark, one JSON document of two parts. <c>accuracy</c>
/// (<see cref="SftAccuracyBench"/>): what full and LoRA fine-tuning teach a pretrained baby GPT; <c>memory</c>
/// (<see cref="SftMemoryBench"/>): what LoRA saves over a full fine-tune of GPT-2 124M in memory and time.
/// </summary>
/// <remarks>The two parts live in files of their own: they share only the command line.</remarks>
internal static class SftBenchCommand
{
    public static Command Create()
    {
        var part = new Option<string>("--part") { Description = "accuracy, memory, or both.", DefaultValueFactory = _ => "both" };
        part.AcceptOnlyFromAmong("accuracy", "memory", "both");
        var steps = new Option<int>("--steps") { Description = "Memory part: timed steps per mode (after warm-up).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Memory part: untimed warm-up steps per mode.", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Accuracy part: seed of the task, the weights and the data order.", DefaultValueFactory = _ => 1 };
        var device = DeviceOption.Create();
        // The memory part re-invokes this command once per mode, so each has a process (and a peak working set) of its own.
        var mode = new Option<string>("--mode") { Hidden = true, DefaultValueFactory = _ => "lora" };
        mode.AcceptOnlyFromAmong("lora", "full");
        var child = new Option<bool>("--child") { Hidden = true };
        var command = new Command("sft",
            "Fine-tuning benchmark: accuracy of full and LoRA SFT on a generated task, and memory and speed of LoRA against a full " +
            "fine-tune of GPT-2 124M; prints {\"sft\":{...}} JSON.")
        {
            part, steps, warmup, seed, device, mode, child,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int timed = parse.GetValue(steps), untimed = parse.GetValue(warmup);
            if (timed < 1) throw new ArgumentException($"--steps must be at least 1, got {timed}.");
            if (untimed < 0) throw new ArgumentException($"--warmup must be zero or more, got {untimed}.");
            if (parse.GetValue(child))
            {
                var measured = SftMemoryBench.Measure(DeviceOption.Open(parse, device), parse.GetValue(mode)!, timed, untimed);
                Console.WriteLine(JsonSerializer.Serialize(measured));
                return 0;
            }

            string which = parse.GetValue(part)!;
            var result = new Dictionary<string, object?>();
            if (which is "accuracy" or "both")
                result["accuracy"] = await SftAccuracyBench.RunAsync(DeviceOption.Open(parse, device), new SftAccuracyBench.Settings { Seed = parse.GetValue(seed) },
                    Console.Error, cancellationToken);
            if (which is "memory" or "both")
                result["memory"] = await SftMemoryBench.RunAsync(parse.GetValue(device)!, timed, untimed, Console.Error, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["sft"] = result }));
            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench eval</c>: the evaluation benchmark, one JSON document of two parts, each training its own baby
/// character-level GPT on a task it generates. <c>code</c> (<see cref="CodeEvalBench"/>): pass@1, pass@10 and pass@100
/// of sampled Python functions run in the sandbox; <c>reasoning</c> (<see cref="ReasoningEvalBench"/>): greedy decoding
/// against self-consistency on multi-step sums with worked solutions.
/// </summary>
internal static class EvalBenchCommand
{
    public static Command Create()
    {
        var part = new Option<string>("--part") { Description = "code, reasoning, or both.", DefaultValueFactory = _ => "both" };
        part.AcceptOnlyFromAmong("code", "reasoning", "both");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the tasks, the weights, the data order and the sampling.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int?>("--steps") { Description = "Pretraining steps of each part (default: each part's own)." };
        var device = DeviceOption.Create();
        var command = new Command("eval",
            "Evaluation benchmark: pass@k of a baby GPT trained on generated Python functions, and greedy decoding against " +
            "self-consistency on generated sums with worked solutions; prints {\"eval\":{...}} JSON.")
        {
            part, seed, steps, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string which = parse.GetValue(part)!;
            ulong s = parse.GetValue(seed);
            int? pretrainSteps = parse.GetValue(steps);
            if (pretrainSteps is < 1) throw new ArgumentException($"--steps must be at least 1, got {pretrainSteps}.");
            var result = new Dictionary<string, object?>();
            if (which is "code" or "both")
            {
                var settings = new CodeEvalBench.Settings { Seed = s };
                if (pretrainSteps is { } n) settings = settings with { PretrainSteps = n };
                result["code"] = await CodeEvalBench.RunAsync(DeviceOption.Open(parse, device), settings, Console.Error, cancellationToken);
            }
            if (which is "reasoning" or "both")
            {
                var settings = new ReasoningEvalBench.Settings { Seed = s };
                if (pretrainSteps is { } n) settings = settings with { PretrainSteps = n };
                result["reasoning"] = await ReasoningEvalBench.RunAsync(DeviceOption.Open(parse, device), settings, Console.Error, cancellationToken);
            }
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["eval"] = result }));
            return 0;
        });
        return command;
    }
}

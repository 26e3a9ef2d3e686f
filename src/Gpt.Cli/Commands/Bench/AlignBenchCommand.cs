using System.CommandLine;
using System.Text.Json;

namespace Gpt.Cli.Commands.Bench;

/// <summary><c>gpt bench align --data DIR</c>: the alignment benchmark (<see cref="AlignBench"/>) on its generated world
/// (<see cref="AlignWorld"/>); prints <c>{"align":{...}}</c> JSON.</summary>
internal static class AlignBenchCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "Folder for the world's files (corpus, SFT, preference, ranking and prompt JSONL) and the models the benchmark trains " +
                $"({AlignBench.BaseFolder}/, {AlignBench.SftFolder}/, replaced on each run).",
            Required = true,
        };
        var dataOnly = new Option<bool>("--data-only") { Description = "Write the world's files and stop (no training)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the world, the weights, the data order and the sampling.", DefaultValueFactory = _ => 1 };
        var pretrainSteps = new Option<int?>("--pretrain-steps") { Description = $"Pretraining steps (default {new AlignBench.Settings().PretrainSteps})." };
        var sftSteps = new Option<int?>("--sft-steps") { Description = $"SFT steps (default {new AlignBench.Settings().SftSteps})." };
        var sftLearningRate = new Option<float?>("--sft-lr") { Description = $"Peak learning rate of the SFT (default {new AlignBench.Settings().SftLearningRate})." };
        var device = DeviceOption.Create();
        var command = new Command("align",
            "Alignment benchmark on a generated world (prompts ask for words; the true score is the share of them a response uses): " +
            "writes the world's files, pretrains and fine-tunes a baby GPT, and reports each model's true score and held-out LM loss; " +
            "prints {\"align\":{...}} JSON.")
        {
            data, dataOnly, seed, pretrainSteps, sftSteps, sftLearningRate, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var defaults = new AlignBench.Settings();
            var settings = defaults with
            {
                World = defaults.World with { Seed = parse.GetValue(seed) },
                PretrainSteps = Positive(parse.GetValue(pretrainSteps) ?? defaults.PretrainSteps, "--pretrain-steps"),
                SftSteps = Positive(parse.GetValue(sftSteps) ?? defaults.SftSteps, "--sft-steps"),
                SftLearningRate = parse.GetValue(sftLearningRate) is { } lr
                    ? lr > 0 && float.IsFinite(lr) ? lr : throw new ArgumentException($"--sft-lr must be a positive number, got {lr}.")
                    : defaults.SftLearningRate,
            };
            string folder = parse.GetValue(data)!.FullName;
            if (File.Exists(folder)) throw new ArgumentException($"--data '{folder}' is a file; give a folder for the world's files.");
            var result = parse.GetValue(dataOnly)
                ? new Dictionary<string, object?> { ["world"] = AlignBench.WriteWorld(settings.World, folder).Describe(), ["data"] = folder }
                : await AlignBench.RunAsync(DeviceOption.Open(parse, device), settings, folder, Console.Error, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["align"] = result }));
            return 0;
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");
}

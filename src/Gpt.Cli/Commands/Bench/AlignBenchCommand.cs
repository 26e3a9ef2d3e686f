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
        var fromSft = new Option<bool>("--from-sft")
        {
            Description = $"Start from the SFT model an earlier run left in --data ({AlignBench.SftFolder}/, made with the same seed and base/SFT options): " +
                "skips the world's files, pretraining and SFT, and runs the reward model, PPO and DPO.",
        };
        var defaults = new AlignBench.Settings();
        var rewardSteps = new Option<int?>("--rm-steps") { Description = $"Reward-model steps (default {defaults.RewardSteps})." };
        var rewardLearningRate = new Option<float?>("--rm-lr") { Description = $"Peak learning rate of the reward model (default {defaults.RewardLearningRate})." };
        var ppoIterations = new Option<int?>("--ppo-iterations") { Description = $"PPO iterations, each run (default {defaults.PpoIterations})." };
        var ppoLearningRate = new Option<float?>("--ppo-lr") { Description = $"PPO's learning rate (default {defaults.PpoLearningRate})." };
        var klCoefficient = new Option<float?>("--kl-coef") { Description = $"β of PPO's KL penalty to the SFT model (default {defaults.PpoKlCoefficient})." };
        var ptxCoefficient = new Option<float?>("--ptx-coef") { Description = $"γ_ptx of PPO-ptx (default {defaults.PtxCoefficient})." };
        var dpoSteps = new Option<int?>("--dpo-steps") { Description = $"DPO steps (default {defaults.DpoSteps})." };
        var dpoLearningRate = new Option<float?>("--dpo-lr") { Description = $"Peak learning rate of DPO (default {defaults.DpoLearningRate})." };
        var dpoBeta = new Option<float?>("--dpo-beta") { Description = $"DPO's β (default {defaults.DpoBeta})." };
        var device = DeviceOption.Create();
        var command = new Command("align",
            "Alignment benchmark on a generated world (prompts ask for words; the true score is the share of them a response uses): " +
            "writes the world's files, pretrains and fine-tunes a baby GPT, trains a reward model, runs PPO against it (without and with ptx) and DPO, " +
            "and reports each model's true score and held-out LM loss and whether issue 9's goals are met; " +
            "prints {\"align\":{...}} JSON.")
        {
            data, dataOnly, fromSft, seed, pretrainSteps, sftSteps, sftLearningRate, rewardSteps, rewardLearningRate, ppoIterations, ppoLearningRate,
            klCoefficient, ptxCoefficient, dpoSteps, dpoLearningRate, dpoBeta, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = defaults with
            {
                World = defaults.World with { Seed = parse.GetValue(seed) },
                PretrainSteps = Positive(parse.GetValue(pretrainSteps) ?? defaults.PretrainSteps, "--pretrain-steps"),
                SftSteps = Positive(parse.GetValue(sftSteps) ?? defaults.SftSteps, "--sft-steps"),
                SftLearningRate = PositiveNumber(parse.GetValue(sftLearningRate) ?? defaults.SftLearningRate, "--sft-lr"),
                RewardSteps = Positive(parse.GetValue(rewardSteps) ?? defaults.RewardSteps, "--rm-steps"),
                RewardLearningRate = PositiveNumber(parse.GetValue(rewardLearningRate) ?? defaults.RewardLearningRate, "--rm-lr"),
                PpoIterations = Positive(parse.GetValue(ppoIterations) ?? defaults.PpoIterations, "--ppo-iterations"),
                PpoLearningRate = PositiveNumber(parse.GetValue(ppoLearningRate) ?? defaults.PpoLearningRate, "--ppo-lr"),
                PpoKlCoefficient = NonNegativeNumber(parse.GetValue(klCoefficient) ?? defaults.PpoKlCoefficient, "--kl-coef"),
                PtxCoefficient = PositiveNumber(parse.GetValue(ptxCoefficient) ?? defaults.PtxCoefficient, "--ptx-coef"),
                DpoSteps = Positive(parse.GetValue(dpoSteps) ?? defaults.DpoSteps, "--dpo-steps"),
                DpoLearningRate = PositiveNumber(parse.GetValue(dpoLearningRate) ?? defaults.DpoLearningRate, "--dpo-lr"),
                DpoBeta = PositiveNumber(parse.GetValue(dpoBeta) ?? defaults.DpoBeta, "--dpo-beta"),
            };
            bool onlyData = parse.GetValue(dataOnly), fromSftModel = parse.GetValue(fromSft);
            if (onlyData && fromSftModel) throw new ArgumentException("--data-only writes the world and stops; --from-sft trains from an SFT model: give one of them.");
            string folder = parse.GetValue(data)!.FullName;
            if (File.Exists(folder)) throw new ArgumentException($"--data '{folder}' is a file; give a folder for the world's files.");
            var result = onlyData
                ? new Dictionary<string, object?> { ["world"] = AlignBench.WriteWorld(settings.World, folder).Describe(), ["data"] = folder }
                : await AlignBench.RunAsync(DeviceOption.Open(parse, device), settings, folder, fromSftModel, Console.Error, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["align"] = result }));
            return 0;
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");

    private static float PositiveNumber(float value, string option) =>
        value > 0 && float.IsFinite(value) ? value : throw new ArgumentException($"{option} must be a positive number, got {value}.");

    private static float NonNegativeNumber(float value, string option) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentException($"{option} must be zero or a positive number, got {value}.");
}

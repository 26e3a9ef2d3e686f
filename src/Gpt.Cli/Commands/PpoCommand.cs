using System.CommandLine;
using Gpt.Cli.Rewards;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt ppo</c>: PPO of a model folder (the SFT model) against a reward model folder (<c>--reward-model</c>, read by
/// <see cref="RewardModel.Load"/>) or a built-in reward (<c>--reward</c>, <see cref="BuiltInRewards"/>), with a
/// per-token KL penalty to the starting model and, with <c>--ptx-data</c>, InstructGPT's pretraining term. With
/// <c>--lora-rank</c> the policy is a LoRA adapter and <c>--out</c> becomes a PEFT adapter folder; without, every weight is
/// trained and <c>--out</c> becomes a model folder. The value head is saved beside it, the checkpoint and metrics.jsonl
/// are kept in <c>--out</c>: the same command run again resumes, and Ctrl+C saves both and exits with 130.
/// </summary>
internal static class PpoCommand
{
    private const string AdapterName = "default";

    public static Command Create()
    {
        var defaults = new PpoOptions();
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to start from (the SFT model; also the KL reference).", Required = true };
        var reward = new Option<string?>("--reward")
        {
            Description = $"Built-in reward function to maximise ({string.Join(", ", BuiltInRewards.Names)}; see gpt bench align); or give --reward-model.",
        };
        var rewardModel = new Option<DirectoryInfo?>("--reward-model")
        {
            Description = "Reward model folder (written by gpt rm) whose score to maximise; it scores text, so its tokenizer and shape may differ from the policy's.",
        };
        var prompts = new Option<FileInfo>("--prompts") { Description = "JSONL prompts, one {\"prompt\": \"...\"} a line.", Required = true };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the result (a PEFT adapter folder with --lora-rank, a model folder otherwise), the value head, metrics.jsonl " +
                "and the checkpoint; a checkpoint there is resumed.",
            Required = true,
        };
        var ptxData = new Option<FileInfo?>("--ptx-data") { Description = "UTF-8 pretraining text for the ptx term (InstructGPT's PPO-ptx)." };
        var ptxCoef = new Option<float?>("--ptx-coef") { Description = "Weight γ_ptx of the pretraining loss (default 1 with --ptx-data)." };
        var klCoef = new Option<float>("--kl-coef") { Description = "KL coefficient β (the start value when adaptive).", DefaultValueFactory = _ => defaults.KlCoefficient };
        var targetKl = new Option<float>("--target-kl")
        {
            Description = "KL per response the adaptive controller steers β towards; 0 keeps β fixed.", DefaultValueFactory = _ => defaults.TargetKl ?? 0,
        };
        var lora = new LoraArguments();
        var iterations = new Option<int>("--iterations") { Description = "PPO iterations (rollouts + updates).", DefaultValueFactory = _ => defaults.Iterations };
        var batch = new Option<int>("--batch") { Description = "Prompts (responses) per iteration.", DefaultValueFactory = _ => defaults.PromptsPerIteration };
        var minibatch = new Option<int>("--minibatch") { Description = "Responses per update.", DefaultValueFactory = _ => defaults.MinibatchSize };
        var epochs = new Option<int>("--epochs") { Description = "Passes over each iteration's responses.", DefaultValueFactory = _ => defaults.EpochsPerIteration };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Longest response in tokens.", DefaultValueFactory = _ => defaults.MaxNewTokens };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the rollouts.", DefaultValueFactory = _ => defaults.Temperature };
        var learningRate = new Option<float>("--lr") { Description = "Learning rate (constant).", DefaultValueFactory = _ => defaults.LearningRate };
        var clip = new Option<float>("--clip") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => defaults.GradientClip };
        var checkpointInterval = new Option<int>("--checkpoint-interval")
        {
            Description = "Iterations between checkpoints (0: at the end and on Ctrl+C only).", DefaultValueFactory = _ => defaults.CheckpointInterval,
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of prompt order, sampling, minibatches and initial values.", DefaultValueFactory = _ => defaults.Seed };
        var device = DeviceOption.Create();

        var command = GracefulCancel.Enable(new Command("ppo", "Align a model with PPO against a reward, with a KL penalty to the starting model.")
        {
            model, reward, rewardModel, prompts, output, ptxData, ptxCoef, klCoef, targetKl, iterations, batch, minibatch,
            epochs, maxNewTokens, temperature, learningRate, clip, checkpointInterval, seed, device,
        });
        foreach (var option in lora.All) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this iteration's rollouts to save the checkpoint and the result...");
            string outputFolder = parse.GetValue(output)!.FullName;
            if (File.Exists(outputFolder)) throw new ArgumentException($"--out '{outputFolder}' is a file; give a folder, new or written by an earlier run to resume.");
            string? rewardName = parse.GetValue(reward);
            DirectoryInfo? rewardFolder = parse.GetValue(rewardModel);
            if ((rewardName is null) == (rewardFolder is null))
                throw new ArgumentException(rewardName is null
                    ? $"give the reward to maximise: --reward-model DIR (a folder written by gpt rm) or --reward NAME (one of: {string.Join(", ", BuiltInRewards.Names)})."
                    : "give --reward-model or --reward, not both: PPO maximises one reward.");
            var loraConfig = lora.Read(parse);
            FileInfo? ptxFile = parse.GetValue(ptxData);
            float? ptxWeight = parse.GetValue(ptxCoef);
            if (ptxFile is null && ptxWeight is > 0) throw new ArgumentException("--ptx-coef weighs the pretraining loss; give the pretraining text with --ptx-data.");
            float target = parse.GetValue(targetKl);
            var options = new PpoOptions
            {
                Iterations = parse.GetValue(iterations), PromptsPerIteration = parse.GetValue(batch), MinibatchSize = parse.GetValue(minibatch),
                EpochsPerIteration = parse.GetValue(epochs), MaxNewTokens = parse.GetValue(maxNewTokens), Temperature = parse.GetValue(temperature),
                KlCoefficient = parse.GetValue(klCoef), TargetKl = target > 0 ? target : null, LearningRate = parse.GetValue(learningRate),
                GradientClip = parse.GetValue(clip), CheckpointInterval = parse.GetValue(checkpointInterval), Seed = parse.GetValue(seed),
                PtxCoefficient = ptxFile is null ? 0 : ptxWeight ?? 1f, OutputDirectory = outputFolder,
            }.Validate();
            var promptSet = PromptSet.Load(parse.GetValue(prompts)!.FullName);
            var targetDevice = DeviceOption.Open(parse, device);
            using var loadedRewardModel = rewardFolder is null ? null : RewardModel.Load(rewardFolder.FullName, targetDevice);
            var scorer = loadedRewardModel ?? BuiltInRewards.Get(rewardName!);

            string modelFolder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(modelFolder);
            using var gpt = GptModel.FromPretrained(modelFolder, targetDevice);
            TokenDataset? ptx = null;
            if (ptxFile is not null)
            {
                int[] tokens = tokenizer.Encode(await File.ReadAllTextAsync(ptxFile.FullName, interrupt.Token));
                if (tokens.Length <= options.PtxSequenceLength)
                    throw new ArgumentException($"--ptx-data '{ptxFile.FullName}' has {tokens.Length} tokens; the ptx batches need more than {options.PtxSequenceLength}.");
                ptx = TokenDataset.FromTokens(tokens);
            }
            var adapter = loraConfig is null ? null : gpt.AddLoraAdapter(AdapterName, loraConfig, parse.GetValue(seed));
            using var trainer = new PpoTrainer(gpt, tokenizer, scorer, promptSet, options with { PtxSequenceLength = Math.Min(options.PtxSequenceLength, gpt.Config.ContextLength) }, adapter, ptx);
            bool resumed = trainer.TryResume();
            var c = gpt.Config;
            Console.Error.WriteLine($"model: {modelFolder}: {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, context {c.ContextLength}; policy: " +
                (adapter is null ? $"all {gpt.ParameterCount:N0} parameters" : $"LoRA rank {adapter.Config.Rank}, {adapter.Parameters.Count:N0} parameters") +
                $"; {promptSet.Count:N0} prompts, {options.PromptsPerIteration} per iteration, responses up to {options.MaxNewTokens} tokens");
            Console.Error.WriteLine(rewardFolder is null ? $"reward: built-in '{rewardName}'" : $"reward: the reward model {rewardFolder.FullName}");
            if (resumed) Console.Error.WriteLine($"resuming from iteration {trainer.Iteration}");
            var progress = new IterationProgress();
            try
            {
                var result = await trainer.RunAsync(progress, interrupt.Token);
                string last = result.Last is { } p ? $", mean score {p.MeanScore:F4}, KL {p.MeanKl:F3}" : "";
                Console.Error.WriteLine($"done: {result.Iterations} iterations{last}; " +
                    (adapter is null ? $"model saved to {outputFolder}" : $"PEFT adapter saved to {outputFolder} for the base {modelFolder}") +
                    $", value head in {PpoTrainer.ValueHeadFileName}, metrics in {MetricsLog.FileName}");
                return 0;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine(trainer.Iteration == 0
                    ? "cancelled before the first iteration finished; run the same command to start again."
                    : $"cancelled at iteration {trainer.Iteration}/{options.Iterations}; checkpoint and {(adapter is null ? "model" : "adapter")} saved to {outputFolder}: " +
                      "run the same command to resume.");
                return 130;
            }
        });
        return command;
    }

    // One line per iteration: iterations take seconds to minutes, so each is worth keeping on screen.
    private sealed class IterationProgress : IProgress<PpoProgress>
    {
        public void Report(PpoProgress p)
        {
            string ptx = double.IsNaN(p.PtxLoss) ? "" : $" | ptx {p.PtxLoss:F4}";
            string skipped = p.SkippedSamples > 0 ? $" | {p.SkippedSamples} samples skipped (reward failed)" : "";
            Console.Error.WriteLine($"iteration {p.Iteration}/{p.Iterations} | score {p.MeanScore:F4} | KL {p.MeanKl:F3} (β {p.KlCoefficient:0.###}) | " +
                $"entropy {p.Entropy:F3} | clip {p.ClipFraction:F3} | value loss {p.ValueLoss:F4} | approx KL {p.ApproxKl:F4} | length {p.MeanResponseLength:F1}" +
                $"{ptx}{skipped} | {p.Duration.TotalSeconds:F1}s");
        }
    }
}

using Gpt.Cli.Rewards;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Random;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Cli.Commands.Bench.BenchStages;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The alignment stages of <c>gpt bench align</c> after the SFT model: the reward model, PPO against it (without and with
/// the pretraining mix) and DPO, each through the library's public entry point (<see cref="RewardModelTraining"/>,
/// <see cref="PpoTrainer"/>, <see cref="Dpo"/>), each starting from a fresh copy of the SFT model folder and saving its
/// result beside it. Each returns its own figures; <see cref="AlignBench"/> measures the models with
/// <see cref="AlignEvaluation"/>.
/// </summary>
internal static class AlignStages
{
    /// <summary>The folders the stages write into the data folder.</summary>
    public const string RewardModelFolder = "rm", PpoFolder = "ppo", PpoPtxFolder = "ppo_ptx", DpoFolder = "dpo";

    /// <summary>PPO's KL and learned reward are reported as the mean of this many last iterations: one iteration's 32
    /// samples are noisy.</summary>
    private const int LastIterations = 5;

    /// <summary>Trains a reward model from the SFT model on the world's ranked lists (each list's K·(K−1)/2 pairs in one
    /// batch) and preference pairs, holding out every prompt of a seeded share of the noun pairs (both orders), and
    /// reports the held-out pairwise accuracy.</summary>
    public static async Task<Dictionary<string, object>> RewardModelAsync(Device device, ITokenizer tokenizer, AlignWorld world, AlignBench.Settings settings,
        string sftFolder, string folder, TextWriter log, CancellationToken cancellationToken)
    {
        var examples = world.Rankings.Select(r => new PreferenceExample(r.Prompt, r.Responses))
            .Concat(world.Preferences.Select(p => PreferenceExample.Pair(p.Prompt, p.Chosen, p.Rejected)))
            .ToList();
        var heldOutPairs = HeldOutNounPairs(examples.Select(e => e.Prompt), settings.RewardHeldOutFraction, settings.World.Seed);
        bool IsHeldOut(PreferenceExample e) => heldOutPairs.Contains(NounPair(e.Prompt));
        var train = examples.Where(e => !IsHeldOut(e)).ToList();
        var heldOut = examples.Where(IsHeldOut).ToList();

        log.WriteLine($"align: reward model on {train.Count} preferences ({heldOut.Count} held out, {heldOutPairs.Count} noun pairs), {settings.RewardSteps} steps");
        using var trunk = GptModel.FromPretrained(sftFolder, device);
        var result = await RewardModelTraining.For(trunk, tokenizer)
            .OnPreferenceData(train)
            .WithEvaluationData(heldOut)
            .WithOptions(o => o with
            {
                BatchSize = settings.RewardBatchSize,
                SequenceLength = settings.Context,
                MaxSteps = settings.RewardSteps,
                LearningRate = settings.RewardLearningRate,
                MinLearningRate = settings.RewardLearningRate / 10,
                WarmupSteps = Math.Min(20, settings.RewardSteps / 10),
                // One evaluation, at the end, over every held-out prompt.
                EvalInterval = settings.RewardSteps,
                EvalBatches = int.MaxValue,
                Seed = settings.World.Seed,
            })
            .SaveTo(folder)
            .RunAsync(EveryStep<TrainingProgress>(p =>
            {
                if (p.Step % 100 == 0) log.WriteLine($"  step {p.Step}: loss {p.Loss:F3}, accuracy {p.Metrics.GetValueOrDefault("accuracy"):F3}");
            }), cancellationToken);
        using var rewardModel = result.RewardModel;
        return new Dictionary<string, object>
        {
            ["data"] = "rankings (3 responses: 3 pairs in one batch) and preference pairs",
            ["train_preferences"] = train.Count,
            ["held_out_preferences"] = heldOut.Count,
            ["held_out_noun_pairs"] = heldOutPairs.Count,
            ["trained"] = "every weight and the score head",
            ["steps"] = settings.RewardSteps,
            ["prompts_per_batch"] = settings.RewardBatchSize,
            ["learning_rate"] = settings.RewardLearningRate,
            ["final_loss"] = Math.Round(result.Training.FinalLoss, 4),
            ["held_out_loss"] = Math.Round(result.Training.ValidationLoss ?? throw new InvalidOperationException("the reward model run has held-out data but measured no loss on it."), 4),
            ["held_out_accuracy"] = Math.Round(result.Evaluation["accuracy"], 4),
            ["held_out_margin"] = Math.Round(result.Evaluation["margin"], 4),
            ["folder"] = folder,
        };
    }

    /// <summary>PPO of a fresh copy of the SFT model (every weight; the reference is a frozen copy) against the learned
    /// reward model in <paramref name="rewardModelFolder"/>, with InstructGPT's pretraining term when <paramref name="ptx"/>
    /// is set. The trained model is left in <paramref name="model"/> for measuring; the figures are the run's.</summary>
    public static async Task<Dictionary<string, object>> PpoAsync(GptModel model, ITokenizer tokenizer, AlignWorld world, AlignBench.Settings settings,
        string rewardModelFolder, bool ptx, string folder, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"align: PPO{(ptx ? "-ptx" : "")} against the reward model, {settings.PpoIterations} iterations of {settings.PpoPromptsPerIteration} prompts");
        using var rewardModel = RewardModel.Load(rewardModelFolder, model.Device);
        using var ptxData = ptx ? TokenDataset.FromTokens(tokenizer.Encode(string.Concat(world.Corpus.Select(s => s + "\n")))) : null;
        var options = new PpoOptions
        {
            Iterations = settings.PpoIterations,
            PromptsPerIteration = settings.PpoPromptsPerIteration,
            MinibatchSize = settings.PpoMinibatchSize,
            EpochsPerIteration = settings.PpoEpochs,
            MaxNewTokens = AlignEvaluation.MaxResponseTokens,
            LearningRate = settings.PpoLearningRate,
            KlCoefficient = settings.PpoKlCoefficient,
            TargetKl = null,
            PtxCoefficient = ptx ? settings.PtxCoefficient : 0,
            PtxBatchSize = settings.PtxBatchSize,
            PtxSequenceLength = settings.Context,
            Seed = settings.World.Seed,
            OutputDirectory = folder,
        };
        var history = new List<PpoProgress>();
        using var trainer = new PpoTrainer(model, tokenizer, rewardModel, PromptSet.FromTexts(world.PpoPrompts), options, adapter: null, ptxData);
        await trainer.RunAsync(EveryStep<PpoProgress>(p =>
        {
            history.Add(p);
            if (p.Iteration % 10 == 0)
                log.WriteLine($"  iteration {p.Iteration}: learned reward {p.MeanScore:F3}, KL {p.MeanKl:F3}, entropy {p.Entropy:F3}, length {p.MeanResponseLength:F1}" +
                    (double.IsNaN(p.PtxLoss) ? "" : $", ptx {p.PtxLoss:F3}"));
        }), cancellationToken);

        var last = history.TakeLast(LastIterations).ToList();
        var figures = new Dictionary<string, object>
        {
            ["policy"] = "every weight; the reference is a frozen copy of the SFT model",
            ["reward"] = $"the learned reward model ({rewardModelFolder})",
            ["iterations"] = settings.PpoIterations,
            ["prompts_per_iteration"] = settings.PpoPromptsPerIteration,
            ["minibatch"] = settings.PpoMinibatchSize,
            ["epochs"] = settings.PpoEpochs,
            ["max_response_tokens"] = options.MaxNewTokens,
            ["learning_rate"] = settings.PpoLearningRate,
            ["kl_coef"] = settings.PpoKlCoefficient,
            ["ptx_coef"] = options.PtxCoefficient,
            ["learned_reward_first_iteration"] = Math.Round(history[0].MeanScore, 4),
            ["learned_reward_last_iterations"] = Math.Round(last.Average(p => p.MeanScore), 4),
            ["kl_to_sft_last_iterations"] = Math.Round(last.Average(p => p.MeanKl), 4),
            ["entropy_last_iterations"] = Math.Round(last.Average(p => p.Entropy), 4),
            ["mean_response_tokens_last_iterations"] = Math.Round(last.Average(p => p.MeanResponseLength), 4),
            ["skipped_updates"] = history[^1].SkippedUpdates,
            ["folder"] = folder,
        };
        // JSON has no NaN: the ptx loss is there only when there is a ptx term.
        if (ptx) figures["ptx_loss_last_iterations"] = Math.Round(last.Average(p => p.PtxLoss), 4);
        return figures;
    }

    /// <summary>DPO of the SFT model (every weight; the reference is the SFT model's log-probabilities, computed once) on the
    /// world's program-labelled preference pairs. The trained model is left in <paramref name="model"/> for measuring.</summary>
    public static async Task<Dictionary<string, object>> DpoAsync(GptModel model, ITokenizer tokenizer, AlignWorld world, AlignBench.Settings settings,
        string folder, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"align: DPO on {world.Preferences.Count} program-labelled pairs, {settings.DpoSteps} steps, β {settings.DpoBeta}");
        IReadOnlyDictionary<string, double> lastMetrics = new Dictionary<string, double>();
        var result = await Dpo.For(model, tokenizer)
            .OnPreferenceData(world.Preferences.Select(p => PreferenceExample.Pair(p.Prompt, p.Chosen, p.Rejected)))
            .WithLoss(o => o with { Beta = settings.DpoBeta })
            .WithOptions(o => o with
            {
                BatchSize = settings.DpoBatchSize,
                SequenceLength = settings.Context,
                MaxSteps = settings.DpoSteps,
                LearningRate = settings.DpoLearningRate,
                MinLearningRate = settings.DpoLearningRate / 10,
                WarmupSteps = Math.Min(20, settings.DpoSteps / 10),
                EvalInterval = 0,
                Seed = settings.World.Seed,
            })
            .SaveTo(folder)
            .RunAsync(EveryStep<TrainingProgress>(p =>
            {
                lastMetrics = p.Metrics;
                if (p.Step % 100 == 0) log.WriteLine($"  step {p.Step}: loss {p.Loss:F3}");
            }), cancellationToken);
        var figures = new Dictionary<string, object>
        {
            ["data"] = "preference pairs labelled by the program",
            ["trained"] = "every weight; the reference is the SFT model",
            ["steps"] = settings.DpoSteps,
            ["prompts_per_batch"] = settings.DpoBatchSize,
            ["learning_rate"] = settings.DpoLearningRate,
            ["beta"] = settings.DpoBeta,
            ["final_loss"] = Math.Round(result.Training.FinalLoss, 4),
            ["folder"] = folder,
        };
        foreach (var (name, value) in lastMetrics.Where(m => double.IsFinite(m.Value))) figures["final_" + name] = Math.Round(value, 4);
        return figures;
    }

    // The unordered noun pair a prompt asks for: both orders of a pair are one prompt for the held-out split.
    private static string NounPair(string prompt)
    {
        var words = RequestedWordsPrompt.TryParse(prompt) ?? throw new InvalidOperationException($"'{prompt}' is not a prompt of the world.");
        return string.Join(' ', words.Order(StringComparer.Ordinal));
    }

    private static HashSet<string> HeldOutNounPairs(IEnumerable<string> prompts, double fraction, ulong seed)
    {
        var pairs = prompts.Select(NounPair).Distinct().Order(StringComparer.Ordinal).ToArray();
        var rng = new CounterRng(seed);
        for (int i = pairs.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (pairs[i], pairs[j]) = (pairs[j], pairs[i]);
        }
        return [.. pairs.Take(Math.Max(1, (int)Math.Round(fraction * pairs.Length)))];
    }
}

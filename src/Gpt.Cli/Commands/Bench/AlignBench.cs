using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Cli.Commands.Bench.BenchStages;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench align</c>: does the alignment pipeline move the true score of <see cref="AlignWorld"/>? It writes the
/// world's files, trains a BPE tokenizer on it (every word one token), pretrains a baby GPT on the corpus, fine-tunes it
/// on the demonstrations, then runs InstructGPT's later stages and DPO from the SFT model (<see cref="AlignStages"/>): a
/// reward model on the rankings and pairs (held-out pairwise accuracy), PPO against that reward model without and with
/// the pretraining mix, and DPO on the program-labelled pairs. Every model is measured with <see cref="AlignEvaluation"/>,
/// and <see cref="AlignGoals"/> judges issue 9's goals on the figures. The models are saved in the data folder
/// (<c>base/</c>, <c>sft/</c>, <c>rm/</c>, <c>ppo/</c>, <c>ppo_ptx/</c>, <c>dpo/</c>, each with its <c>metrics.jsonl</c>), so
/// <c>gpt score</c>, <c>gpt generate</c> and <c>gpt plot</c> can open them, and a later run can start from <c>sft/</c>.
/// </summary>
internal static class AlignBench
{
    /// <summary>The folders of the models the benchmark writes into the data folder.</summary>
    public const string BaseFolder = "base", SftFolder = "sft";

    /// <summary>The run's hyper-parameters, all reported in the JSON.</summary>
    internal sealed record Settings
    {
        /// <summary>The world; its seed is also the seed of weights, data order and sampling.</summary>
        public AlignWorld.Settings World { get; init; } = new();

        /// <summary>Token ids of the BPE tokenizer: the 256 bytes, the merges that make every word one token, and &lt;|endoftext|&gt;.</summary>
        public int VocabularySize { get; init; } = 384;

        /// <summary>Context of the model: a prompt is 8 tokens, a response at most 10 with its newline and end token.</summary>
        public int Context { get; init; } = 32;

        /// <summary>Transformer blocks.</summary>
        public int Layers { get; init; } = 4;

        /// <summary>Embedding width.</summary>
        public int Width { get; init; } = 128;

        /// <summary>Attention heads.</summary>
        public int Heads { get; init; } = 4;

        /// <summary>Rows per batch, pretraining and fine-tuning.</summary>
        public int BatchSize { get; init; } = 16;

        /// <summary>Optimizer steps of pretraining.</summary>
        public int PretrainSteps { get; init; } = 600;

        /// <summary>Peak learning rate of pretraining.</summary>
        public float PretrainLearningRate { get; init; } = 2e-3f;

        /// <summary>Optimizer steps of the SFT.</summary>
        public int SftSteps { get; init; } = 300;

        /// <summary>Peak learning rate of the SFT.</summary>
        public float SftLearningRate { get; init; } = 1e-3f;

        /// <summary>Share of the training noun pairs whose prompts (both orders) the reward model never trains on.</summary>
        public double RewardHeldOutFraction { get; init; } = 0.1;

        /// <summary>Optimizer steps of the reward model.</summary>
        public int RewardSteps { get; init; } = 300;

        /// <summary>Prompts per reward-model batch (a ranked list brings its three pairs).</summary>
        public int RewardBatchSize { get; init; } = 16;

        /// <summary>Peak learning rate of the reward model.</summary>
        public float RewardLearningRate { get; init; } = 3e-4f;

        /// <summary>PPO iterations (rollouts and updates).</summary>
        public int PpoIterations { get; init; } = 60;

        /// <summary>Prompts (responses) per PPO iteration.</summary>
        public int PpoPromptsPerIteration { get; init; } = 32;

        /// <summary>Responses per PPO update.</summary>
        public int PpoMinibatchSize { get; init; } = 8;

        /// <summary>Passes over each iteration's responses.</summary>
        public int PpoEpochs { get; init; } = 4;

        /// <summary>PPO's learning rate (constant).</summary>
        public float PpoLearningRate { get; init; } = 5e-5f;

        /// <summary>β of PPO's per-token KL penalty to the SFT model (fixed). The learned reward spans about ±8 and scores an
        /// empty response (never seen in its training) above any sentence: with β 0.05 or 0.2 PPO finds that and collapses
        /// to empty responses within 20–30 iterations (true score 0); β 1 keeps the KL near 2 nats and the sentences whole.</summary>
        public float PpoKlCoefficient { get; init; } = 1f;

        /// <summary>γ_ptx, the weight of the pretraining loss in PPO-ptx.</summary>
        public float PtxCoefficient { get; init; } = 1f;

        /// <summary>Rows of each pretraining batch of PPO-ptx.</summary>
        public int PtxBatchSize { get; init; } = 8;

        /// <summary>Optimizer steps of DPO.</summary>
        public int DpoSteps { get; init; } = 200;

        /// <summary>Prompts (pairs) per DPO batch.</summary>
        public int DpoBatchSize { get; init; } = 16;

        /// <summary>Peak learning rate of DPO.</summary>
        public float DpoLearningRate { get; init; } = 5e-5f;

        /// <summary>DPO's β. At β 0.1 and 1e-4 DPO lowers the chosen responses' likelihood too (by 2.8 nats) and moves
        /// probability to ending at once: greedy answers turn empty and the true score falls below the SFT model's; β 0.5 at
        /// 5e-5 keeps the chosen likelihood near the reference's.</summary>
        public float DpoBeta { get; init; } = 0.5f;
    }

    /// <summary>Runs the benchmark and returns its JSON object.</summary>
    /// <param name="device">Where to train and generate.</param>
    /// <param name="settings">World and hyper-parameters.</param>
    /// <param name="dataFolder">Where the world's files and the models go.</param>
    /// <param name="fromSft">Start from the SFT model an earlier run with the same settings left in the data folder
    /// (<see cref="AlignSftStamp"/>), skipping the world's files, the base model and the SFT.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, string dataFolder, bool fromSft, TextWriter log,
        CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var seconds = new Dictionary<string, object>();
        var models = new Dictionary<string, object>();
        ulong seed = settings.World.Seed;
        string sftFolder = Path.GetFullPath(Path.Combine(dataFolder, SftFolder));
        if (fromSft) AlignSftStamp.Check(sftFolder, settings);

        var world = fromSft ? AlignWorld.Generate(settings.World) : Timed(seconds, "world", () => WriteWorld(settings.World, dataFolder));
        log.WriteLine(fromSft ? $"align: starting from the SFT model in {sftFolder}" : $"align: world written to {Path.GetFullPath(dataFolder)}");
        var result = new Dictionary<string, object?>
        {
            ["world"] = world.Describe(),
            ["data"] = Path.GetFullPath(dataFolder),
            ["from_sft"] = fromSft,
        };

        ITokenizer tokenizer;
        if (fromSft)
        {
            tokenizer = TokenizerFiles.Load(sftFolder);
        }
        else
        {
            var (bpe, pretrain, sft) = await BaseAndSftAsync(device, settings, world, dataFolder, models, seconds, log, cancellationToken);
            tokenizer = bpe;
            result["tokenizer"] = new Dictionary<string, object> { ["kind"] = "byte-level BPE", ["vocabulary"] = bpe.VocabularySize, ["merges"] = bpe.MergeCount };
            result["pretrain"] = new Dictionary<string, object>
            {
                ["steps"] = settings.PretrainSteps, ["batch"] = settings.BatchSize, ["seq_len"] = settings.Context,
                ["learning_rate"] = settings.PretrainLearningRate, ["final_loss"] = Math.Round(pretrain.FinalLoss, 4),
                ["folder"] = Path.GetFullPath(Path.Combine(dataFolder, BaseFolder)),
            };
            result["sft"] = new Dictionary<string, object>
            {
                ["steps"] = settings.SftSteps, ["batch"] = settings.BatchSize, ["packed"] = true, ["learning_rate"] = settings.SftLearningRate,
                ["final_loss"] = Math.Round(sft.Training.FinalLoss, 4), ["folder"] = sftFolder,
            };
        }

        using (var sftModel = GptModel.FromPretrained(sftFolder, device))
        {
            result["model"] = BenchFigures.Model(sftModel);
            if (fromSft) models["sft"] = await TimedAsync(seconds, "measure_sft", () => AlignEvaluation.MeasureAsync(sftModel, tokenizer, world, seed, null, cancellationToken));
        }

        string rewardModelFolder = FreshFolder(dataFolder, AlignStages.RewardModelFolder);
        result["reward_model"] = await TimedAsync(seconds, "reward_model",
            () => AlignStages.RewardModelAsync(device, tokenizer, world, settings, sftFolder, rewardModelFolder, log, cancellationToken));

        foreach (bool ptx in new[] { false, true })
        {
            string stage = ptx ? "ppo_ptx" : "ppo";
            using var policy = GptModel.FromPretrained(sftFolder, device);
            string folder = FreshFolder(dataFolder, ptx ? AlignStages.PpoPtxFolder : AlignStages.PpoFolder);
            result[stage] = await TimedAsync(seconds, stage,
                () => AlignStages.PpoAsync(policy, tokenizer, world, settings, rewardModelFolder, ptx, folder, log, cancellationToken));
            models[stage] = await TimedAsync(seconds, "measure_" + stage, () => AlignEvaluation.MeasureAsync(policy, tokenizer, world, seed, null, cancellationToken));
        }

        using (var dpoModel = GptModel.FromPretrained(sftFolder, device))
        {
            string folder = FreshFolder(dataFolder, AlignStages.DpoFolder);
            result["dpo"] = await TimedAsync(seconds, "dpo", () => AlignStages.DpoAsync(dpoModel, tokenizer, world, settings, folder, log, cancellationToken));
            models["dpo"] = await TimedAsync(seconds, "measure_dpo", () => AlignEvaluation.MeasureAsync(dpoModel, tokenizer, world, seed, null, cancellationToken));
        }

        result["device"] = device.Name;
        result["threads"] = CpuParallel.ThreadCount;
        result["seed"] = seed;
        result["evaluation"] = new Dictionary<string, object>
        {
            ["prompts"] = world.EvalPrompts.Count, ["samples_per_prompt"] = AlignEvaluation.SamplesPerPrompt, ["temperature"] = 1,
            ["max_response_tokens"] = AlignEvaluation.MaxResponseTokens, ["held_out_sentences"] = world.HeldOutCorpus.Count,
        };
        result["models"] = models;
        result["before_after"] = AlignGoals.BeforeAfter(models);
        result["goals"] = AlignGoals.Judge(models, (Dictionary<string, object>)result["reward_model"]!);
        seconds["total"] = Math.Round(total.Elapsed.TotalSeconds, 1);
        result["seconds"] = seconds;
        return result;
    }

    // The world's tokenizer, the base model and the SFT model, each saved in the data folder and measured into `models`.
    private static async Task<(BpeTokenizer Tokenizer, TrainingResult Pretrain, FineTuneResult Sft)> BaseAndSftAsync(Device device, Settings settings,
        AlignWorld world, string dataFolder, Dictionary<string, object> models, Dictionary<string, object> seconds, TextWriter log,
        CancellationToken cancellationToken)
    {
        ulong seed = settings.World.Seed;
        var tokenizer = Timed(seconds, "tokenizer", () => TrainTokenizer(world, settings.VocabularySize));
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize, ContextLength = settings.Context, EmbeddingSize = settings.Width,
            LayerCount = settings.Layers, HeadCount = settings.Heads,
        };

        log.WriteLine($"align: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide model for {settings.PretrainSteps} steps");
        using var baseModel = new GptModel(config, device, seed);
        string baseFolder = FreshFolder(dataFolder, BaseFolder);
        var pretrain = await TimedAsync(seconds, "pretrain", () => PretrainAsync(baseModel, tokenizer.Encode(string.Concat(world.Corpus.Select(s => s + "\n"))),
            settings.BatchSize, settings.Context, settings.PretrainSteps, settings.PretrainLearningRate, seed, baseFolder, log, cancellationToken));
        baseModel.Save(baseFolder, tokenizer);
        models["base"] = await TimedAsync(seconds, "measure_base", () => AlignEvaluation.MeasureAsync(baseModel, tokenizer, world, seed, null, cancellationToken));

        log.WriteLine($"align: supervised fine-tuning for {settings.SftSteps} steps");
        using var sftModel = GptModel.FromPretrained(baseFolder, device);
        string sftFolder = FreshFolder(dataFolder, SftFolder);
        var sft = await TimedAsync(seconds, "sft", () => FineTuneAsync(sftModel, tokenizer, world, settings, sftFolder, cancellationToken));
        models["sft"] = await TimedAsync(seconds, "measure_sft", () => AlignEvaluation.MeasureAsync(sftModel, tokenizer, world, seed, null, cancellationToken));
        AlignSftStamp.Write(sftFolder, settings);
        return (tokenizer, pretrain, sft);
    }

    /// <summary>Draws the world and writes its files to <paramref name="dataFolder"/> (<see cref="AlignWorld.Write"/>).</summary>
    public static AlignWorld WriteWorld(AlignWorld.Settings settings, string dataFolder)
    {
        var world = AlignWorld.Generate(settings);
        world.Write(dataFolder);
        return world;
    }

    /// <summary>A BPE tokenizer of the corpus and the prompts, checked to make every word of the world one token.</summary>
    private static BpeTokenizer TrainTokenizer(AlignWorld world, int vocabularySize)
    {
        var tokenizer = BpeTrainer.Train([.. world.Corpus.Select(s => s + "\n"), .. world.Sft.Select(e => e.Prompt)],
            new BpeTrainerOptions { VocabularySize = vocabularySize });
        var split = AlignWorld.Pieces.Where(w => tokenizer.Encode(w).Length != 1).ToList();
        if (split.Count > 0)
            throw new InvalidOperationException($"a vocabulary of {vocabularySize} ids leaves {string.Join(", ", split.Select(w => $"'{w}'"))} " +
                "as several tokens; raise the vocabulary size.");
        return tokenizer;
    }

    private static Task<FineTuneResult> FineTuneAsync(GptModel model, ITokenizer tokenizer, AlignWorld world, Settings settings, string folder,
        CancellationToken cancellationToken) =>
        FineTune.For(model, tokenizer)
            .OnSftData(world.Sft.Select(e => (SftExample)new PromptCompletionExample(e.Prompt, e.Completion)))
            .Packed()
            .WithOptions(o => o with
            {
                BatchSize = settings.BatchSize,
                SequenceLength = settings.Context,
                MaxSteps = settings.SftSteps,
                LearningRate = settings.SftLearningRate,
                MinLearningRate = settings.SftLearningRate / 10,
                WarmupSteps = Math.Min(20, settings.SftSteps / 10),
                EvalInterval = 0,
                Seed = settings.World.Seed,
            })
            .SaveTo(folder)
            .RunAsync(cancellationToken: cancellationToken);

    // The benchmark's own output: a folder left by an earlier run would be resumed from its checkpoint, not trained afresh.
    private static string FreshFolder(string dataFolder, string name)
    {
        string folder = Path.GetFullPath(Path.Combine(dataFolder, name));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return folder;
    }
}

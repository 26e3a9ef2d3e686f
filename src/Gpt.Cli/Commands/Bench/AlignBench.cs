using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench align</c>: does the alignment pipeline move the true score of <see cref="AlignWorld"/>? It writes the
/// world's files, trains a BPE tokenizer on it (every word one token), pretrains a baby GPT on the corpus, fine-tunes it
/// on the demonstrations, and measures each model with <see cref="AlignEvaluation"/>. The models are saved in the data
/// folder (<c>base/</c>, <c>sft/</c>, each with its <c>metrics.jsonl</c>), so <c>gpt rm</c>, <c>gpt ppo</c>,
/// <c>gpt dpo</c> and <c>gpt plot</c> can start from them on the command line.
/// </summary>
/// <remarks>
/// The later stages of issue 9 each become one method here, called in <see cref="RunAsync"/> where it says so, and
/// reporting through <see cref="AlignEvaluation.MeasureAsync"/> into <c>models</c>, with its seconds in <c>seconds</c>:
/// <c>RewardModelAsync</c> (train on <see cref="AlignWorld.RankingsFile"/>/<see cref="AlignWorld.PreferencesFile"/>,
/// report held-out pairwise accuracy), <c>PpoAsync(ptx: false)</c> and <c>PpoAsync(ptx: true)</c> (against the learned
/// reward model, from the SFT model; report the KL to it), and <c>DpoAsync</c> (on the program-labelled pairs).
/// </remarks>
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
    }

    /// <summary>Runs the benchmark and returns its JSON object.</summary>
    /// <param name="device">Where to train and generate.</param>
    /// <param name="settings">World and hyper-parameters.</param>
    /// <param name="dataFolder">Where the world's files and the models go.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, string dataFolder, TextWriter log,
        CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var seconds = new Dictionary<string, object>();
        var models = new Dictionary<string, object>();
        ulong seed = settings.World.Seed;

        var world = Timed(seconds, "world", () => WriteWorld(settings.World, dataFolder));
        log.WriteLine($"align: world written to {Path.GetFullPath(dataFolder)}");
        var result = new Dictionary<string, object?>
        {
            ["world"] = world.Describe(),
            ["data"] = Path.GetFullPath(dataFolder),
        };

        var tokenizer = Timed(seconds, "tokenizer", () => TrainTokenizer(world, settings.VocabularySize));
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize, ContextLength = settings.Context, EmbeddingSize = settings.Width,
            LayerCount = settings.Layers, HeadCount = settings.Heads,
        };

        log.WriteLine($"align: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide model for {settings.PretrainSteps} steps");
        using var baseModel = new GptModel(config, device, seed);
        string baseFolder = FreshFolder(dataFolder, BaseFolder);
        var pretrain = await TimedAsync(seconds, "pretrain", () => PretrainAsync(baseModel, tokenizer, world, settings, baseFolder, log, cancellationToken));
        baseModel.Save(baseFolder, tokenizer);
        models["base"] = await TimedAsync(seconds, "measure_base", () => AlignEvaluation.MeasureAsync(baseModel, tokenizer, world, seed, null, cancellationToken));

        log.WriteLine($"align: supervised fine-tuning for {settings.SftSteps} steps");
        using var sftModel = GptModel.FromPretrained(baseFolder, device);
        string sftFolder = FreshFolder(dataFolder, SftFolder);
        var sft = await TimedAsync(seconds, "sft", () => FineTuneAsync(sftModel, tokenizer, world, settings, sftFolder, cancellationToken));
        models["sft"] = await TimedAsync(seconds, "measure_sft", () => AlignEvaluation.MeasureAsync(sftModel, tokenizer, world, seed, null, cancellationToken));

        // Issue 9's later stages go here, one method each (see the remarks): RewardModelAsync, PpoAsync(ptx: false),
        // PpoAsync(ptx: true), DpoAsync; each adds its figures to `models` and its time to `seconds`.

        double sftScore = (double)((Dictionary<string, object>)models["sft"])["true_score_sampled"];
        result["device"] = device.Name;
        result["threads"] = CpuParallel.ThreadCount;
        result["seed"] = seed;
        result["tokenizer"] = new Dictionary<string, object> { ["kind"] = "byte-level BPE", ["vocabulary"] = tokenizer.VocabularySize, ["merges"] = tokenizer.MergeCount };
        result["model"] = BenchFigures.Model(baseModel);
        result["pretrain"] = new Dictionary<string, object>
        {
            ["steps"] = settings.PretrainSteps, ["batch"] = settings.BatchSize, ["seq_len"] = settings.Context,
            ["learning_rate"] = settings.PretrainLearningRate, ["final_loss"] = Math.Round(pretrain.FinalLoss, 4), ["folder"] = baseFolder,
        };
        result["sft"] = new Dictionary<string, object>
        {
            ["steps"] = settings.SftSteps, ["batch"] = settings.BatchSize, ["packed"] = true, ["learning_rate"] = settings.SftLearningRate,
            ["final_loss"] = Math.Round(sft.Training.FinalLoss, 4), ["folder"] = sftFolder,
        };
        result["evaluation"] = new Dictionary<string, object>
        {
            ["prompts"] = world.EvalPrompts.Count, ["samples_per_prompt"] = AlignEvaluation.SamplesPerPrompt, ["temperature"] = 1,
            ["max_response_tokens"] = AlignEvaluation.MaxResponseTokens, ["held_out_sentences"] = world.HeldOutCorpus.Count,
        };
        result["models"] = models;
        result["goals"] = new Dictionary<string, object>
        {
            ["sft_true_score_between"] = new[] { 0.3, 0.6 },
            ["met"] = sftScore is >= 0.3 and <= 0.6,
        };
        seconds["total"] = Math.Round(total.Elapsed.TotalSeconds, 1);
        result["seconds"] = seconds;
        return result;
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

    private static async Task<TrainingResult> PretrainAsync(GptModel model, ITokenizer tokenizer, AlignWorld world, Settings settings, string folder,
        TextWriter log, CancellationToken cancellationToken)
    {
        using var data = TokenDataset.FromTokens(tokenizer.Encode(string.Concat(world.Corpus.Select(s => s + "\n"))));
        var options = new TrainingOptions
        {
            BatchSize = settings.BatchSize,
            SequenceLength = settings.Context,
            MaxSteps = settings.PretrainSteps,
            LearningRate = settings.PretrainLearningRate,
            MinLearningRate = settings.PretrainLearningRate / 10,
            WarmupSteps = Math.Min(50, settings.PretrainSteps / 10),
            EvalInterval = 0,
            Seed = settings.World.Seed,
            // The folder holds the run's metrics.jsonl (and its final checkpoint), for gpt plot.
            CheckpointDirectory = folder,
        };
        using var trainer = new Trainer(model, data, null, options);
        var progress = new Progress<TrainingProgress>(p =>
        {
            if (p.Step % 200 == 0) log.WriteLine($"  step {p.Step}: loss {p.Loss:F3}");
        });
        return await trainer.RunAsync(progress, cancellationToken);
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

    private static T Timed<T>(Dictionary<string, object> seconds, string stage, Func<T> run)
    {
        long started = Stopwatch.GetTimestamp();
        var value = run();
        seconds[stage] = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        return value;
    }

    private static async Task<T> TimedAsync<T>(Dictionary<string, object> seconds, string stage, Func<Task<T>> run)
    {
        long started = Stopwatch.GetTimestamp();
        var value = await run();
        seconds[stage] = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        return value;
    }
}

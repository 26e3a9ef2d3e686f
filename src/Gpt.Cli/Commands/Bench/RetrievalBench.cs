using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Cli.Commands.Bench.BenchStages;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench retrieval</c>: does contrastive training make a GPT a better retriever than its own mean-pooled hidden
/// states and than BM25? On <see cref="RetrievalWorld"/> it trains a BPE tokenizer and pretrains a small base model on
/// the corpus text, then measures recall@1 and recall@10 of the held-out questions over the whole collection for
/// (a) mean pooling of the base model, (b) the head <see cref="ContrastiveTraining"/> trains from that base on the train
/// pairs (symmetric InfoNCE, in-batch negatives; optionally LoRA), and (c) <see cref="Bm25"/> on the same texts.
/// </summary>
internal static class RetrievalBench
{
    /// <summary>The run's hyper-parameters, all reported in the JSON.</summary>
    internal sealed record Settings
    {
        /// <summary>The world; its seed is also the seed of weights and data order.</summary>
        public RetrievalWorld.Settings World { get; init; } = new();

        /// <summary>Token ids of the world's BPE tokenizer.</summary>
        public int VocabularySize { get; init; } = 512;

        /// <summary>Context of the model: a passage is about 30 tokens, two delimiters included.</summary>
        public int Context { get; init; } = 64;

        /// <summary>Transformer blocks.</summary>
        public int Layers { get; init; } = 4;

        /// <summary>Embedding width.</summary>
        public int Width { get; init; } = 128;

        /// <summary>Attention heads.</summary>
        public int Heads { get; init; } = 4;

        /// <summary>Rows per pretraining batch.</summary>
        public int PretrainBatchSize { get; init; } = 16;

        /// <summary>Optimizer steps of pretraining.</summary>
        public int PretrainSteps { get; init; } = 400;

        /// <summary>Peak learning rate of pretraining.</summary>
        public float PretrainLearningRate { get; init; } = 2e-3f;

        /// <summary>Pooling of the trained head.</summary>
        public EmbeddingPooling Pooling { get; init; } = EmbeddingPooling.Mean;

        /// <summary>Pairs per contrastive batch (each pair's passage is a negative of every other question).</summary>
        public int ContrastiveBatchSize { get; init; } = 32;

        /// <summary>Optimizer steps of contrastive training.</summary>
        public int ContrastiveSteps { get; init; } = 200;

        /// <summary>Peak learning rate of contrastive training.</summary>
        public float ContrastiveLearningRate { get; init; } = 5e-4f;

        /// <summary>InfoNCE's temperature (fixed).</summary>
        public float Temperature { get; init; } = 0.05f;

        /// <summary>LoRA rank of contrastive training (alpha twice the rank, every linear layer); 0 trains every weight.</summary>
        public int LoraRank { get; init; }
    }

    /// <summary>Runs the benchmark and returns its JSON object.</summary>
    /// <param name="device">Where to train and embed.</param>
    /// <param name="settings">World and hyper-parameters.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        string loadAtStart = LoadAverage();
        var seconds = new Dictionary<string, object>();
        ulong seed = settings.World.Seed;

        var world = Timed(seconds, "world", () => RetrievalWorld.Generate(settings.World));
        log.WriteLine($"retrieval: world of {world.TrainPairs.Count} train pairs, {world.HeldOutQueries.Count} held-out questions, " +
            $"{world.Passages.Count} passages");
        var tokenizer = Timed(seconds, "tokenizer", () => BpeTrainer.Train(world.Corpus.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l + "\n").ToList(),
            new BpeTrainerOptions { VocabularySize = settings.VocabularySize }));
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize, ContextLength = settings.Context, EmbeddingSize = settings.Width,
            LayerCount = settings.Layers, HeadCount = settings.Heads,
        };
        string[] questions = [.. world.HeldOutQueries.Select(q => q.Question)];
        int[] answers = [.. world.HeldOutQueries.Select(q => q.Passage)];
        var retrievers = new Dictionary<string, object>();

        using var model = new GptModel(config, device, seed);
        log.WriteLine($"retrieval: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide base model for {settings.PretrainSteps} steps");
        var pretrain = await TimedAsync(seconds, "pretrain", () => PretrainAsync(model, tokenizer.Encode(world.Corpus),
            settings.PretrainBatchSize, settings.Context, settings.PretrainSteps, settings.PretrainLearningRate, seed, folder: null, log, cancellationToken));

        log.WriteLine("retrieval: measuring mean pooling of the base model");
        using (var baseEmbedder = Embedder.WithMeanPooling(model, tokenizer))
            retrievers["base_mean_pooling"] = Timed(seconds, "measure_base", () => Measure(baseEmbedder, world.Passages, questions, answers, cancellationToken));

        log.WriteLine($"retrieval: contrastive training ({settings.Pooling} pooling{(settings.LoraRank > 0 ? $", LoRA rank {settings.LoraRank}" : "")}) " +
            $"for {settings.ContrastiveSteps} steps of {settings.ContrastiveBatchSize} pairs");
        var contrastive = await TimedAsync(seconds, "contrastive", () => ContrastiveAsync(model, tokenizer, world, settings, log, cancellationToken));
        using (var embedder = contrastive.Embedder)
            retrievers["trained_head"] = Timed(seconds, "measure_trained", () => Measure(embedder, world.Passages, questions, answers, cancellationToken));

        log.WriteLine("retrieval: measuring BM25");
        retrievers["bm25"] = Timed(seconds, "bm25", () =>
        {
            var bm25 = new Bm25(world.Passages);
            return RetrievalRecall.Measure([.. questions.Select(bm25.Scores)], answers);
        });

        seconds["total"] = Math.Round(total.Elapsed.TotalSeconds, 1);
        return new Dictionary<string, object?>
        {
            ["world"] = world.Describe(),
            ["tokenizer"] = new Dictionary<string, object> { ["kind"] = "byte-level BPE trained on the corpus text", ["vocabulary"] = tokenizer.VocabularySize },
            ["model"] = BenchFigures.Model(model),
            ["pretrain"] = new Dictionary<string, object>
            {
                ["text"] = "corpus people only", ["steps"] = settings.PretrainSteps, ["batch"] = settings.PretrainBatchSize, ["seq_len"] = settings.Context,
                ["learning_rate"] = settings.PretrainLearningRate, ["final_loss"] = Math.Round(pretrain.FinalLoss, 4),
            },
            ["contrastive"] = new Dictionary<string, object>
            {
                ["loss"] = "symmetric InfoNCE, in-batch negatives, fixed temperature",
                ["pooling"] = settings.Pooling == EmbeddingPooling.Mean ? "mean" : "end-token",
                ["trained"] = settings.LoraRank > 0 ? $"LoRA rank {settings.LoraRank} on every linear layer, and the head" : "every weight, and the head",
                ["pairs"] = world.TrainPairs.Count, ["steps"] = settings.ContrastiveSteps, ["batch"] = settings.ContrastiveBatchSize,
                ["learning_rate"] = settings.ContrastiveLearningRate, ["temperature"] = settings.Temperature,
                ["final_loss"] = Math.Round(contrastive.Training.FinalLoss, 4),
            },
            ["retrievers"] = retrievers,
            ["evaluation"] = "recall@k of the held-out questions over the whole collection (train and held-out passages); a tie with the right passage ranks above it",
            ["trained_beats_both"] = new[] { "base_mean_pooling", "bm25" }.All(other =>
                RetrievalRecall.Ks.All(k => Recall(retrievers["trained_head"], k) > Recall(retrievers[other], k))),
            ["device"] = device.Name,
            ["threads"] = CpuParallel.ThreadCount,
            ["seed"] = seed,
            ["load_average"] = new Dictionary<string, object> { ["start"] = loadAtStart, ["end"] = LoadAverage() },
            ["seconds"] = seconds,
        };
    }

    private static Dictionary<string, object> Measure(Embedder embedder, IReadOnlyList<string> passages, IReadOnlyList<string> questions, IReadOnlyList<int> answers,
        CancellationToken cancellationToken)
    {
        var passageVectors = embedder.Embed(passages, cancellationToken).Select(e => e.Vector).ToList();
        var questionVectors = embedder.Embed(questions, cancellationToken).Select(e => e.Vector).ToList();
        return RetrievalRecall.Measure(RetrievalRecall.Cosines(questionVectors, passageVectors), answers);
    }

    private static double Recall(object figures, int k) => (double)((Dictionary<string, object>)figures)[$"recall_at_{k}"];

    private static Task<ContrastiveTrainingResult> ContrastiveAsync(GptModel model, ITokenizer tokenizer, RetrievalWorld world, Settings settings,
        TextWriter log, CancellationToken cancellationToken)
    {
        var run = ContrastiveTraining.For(model, tokenizer)
            .OnPairs(new ContrastiveDataset(world.TrainPairs.Select(p => new ContrastiveExample(p.Question, p.Passage))))
            .WithHead(settings.Pooling)
            .WithContrastiveOptions(o => o with { Temperature = settings.Temperature })
            .WithOptions(o => o with
            {
                BatchSize = settings.ContrastiveBatchSize,
                MaxSteps = settings.ContrastiveSteps,
                LearningRate = settings.ContrastiveLearningRate,
                MinLearningRate = settings.ContrastiveLearningRate / 10,
                WarmupSteps = Math.Min(20, settings.ContrastiveSteps / 10),
                EvalInterval = 0,
                Seed = settings.World.Seed,
            });
        if (settings.LoraRank > 0)
            run = run.WithLora(new LoraConfig { Rank = settings.LoraRank, Alpha = 2 * settings.LoraRank, TargetModules = [LoraConfig.AllLinear] }, seed: settings.World.Seed);
        return run.RunAsync(EveryStep<TrainingProgress>(p =>
        {
            if (p.Step % 50 == 0) log.WriteLine($"  step {p.Step}: loss {p.Loss:F3}, in-batch accuracy {p.Metrics.GetValueOrDefault("accuracy"):F3}");
        }), cancellationToken);
    }

    // The machine's load while the benchmark ran, for reading its seconds (the 1, 5 and 15 minute averages); "" off Linux.
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";
}

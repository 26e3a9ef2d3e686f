using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt train</c>: pretrains a character-level GPT on a text file; resumes from <c>--out</c>, which ends up a complete
/// model folder (weights, config, <c>chars.json</c>) beside the run's checkpoint, written by <c>GptModel.Save(folder, tokenizer)</c>.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "UTF-8 text file to train on (90% train, 10% validation).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the model, tokenizer and checkpoint; an existing checkpoint there is resumed.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks.", DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
        var width = new Option<int>("--width") { Description = "Embedding width (n_embd).", DefaultValueFactory = _ => 128 };
        var context = new Option<int>("--context") { Description = "Context length (also the training sequence length).", DefaultValueFactory = _ => 64 };
        var dropout = new Option<float>("--dropout") { Description = "Dropout probability.", DefaultValueFactory = _ => 0f };
        var batch = new Option<int>("--batch") { Description = "Sequences per micro-batch.", DefaultValueFactory = _ => 12 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps in total.", DefaultValueFactory = _ => 2000 };
        var accumulation = new Option<int>("--accumulation") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
        var learningRate = new Option<float>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 1e-3f };
        var minLearningRate = new Option<float>("--min-lr") { Description = "Final learning rate of the cosine decay.", DefaultValueFactory = _ => 1e-4f };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps.", DefaultValueFactory = _ => 100 };
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW weight decay on matrices.", DefaultValueFactory = _ => 0.1f };
        var clip = new Option<float>("--clip") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => 1f };
        var evalInterval = new Option<int>("--eval-interval") { Description = "Steps between validation runs (0: off).", DefaultValueFactory = _ => 250 };
        var evalBatches = new Option<int>("--eval-batches") { Description = "Batches per validation run.", DefaultValueFactory = _ => 20 };
        var checkpointInterval = new Option<int>("--checkpoint-interval") { Description = "Steps between checkpoints.", DefaultValueFactory = _ => 250 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, data order and dropout.", DefaultValueFactory = _ => 1337UL };
        var device = DeviceOption.Create();
        var distributed = DistributedOption.Create();
        var collectiveTimeout = DistributedOption.CreateTimeout();
        var logSteps = new Option<bool>("--log-steps") { Description = "Write a progress line for every step (loss to six decimals) instead of a live line." };

        var command = GracefulCancel.Enable(new Command("train", "Pretrain a character-level GPT on a text file.")
        {
            data, output, layers, heads, width, context, dropout, batch, steps, accumulation, learningRate, minLearningRate, warmup,
            weightDecay, clip, evalInterval, evalBatches, checkpointInterval, seed, device,
            distributed, collectiveTimeout, logSteps,
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this step to save a checkpoint...");
            DistributedOption.ShareCores(parse, distributed);
            var target = DeviceOption.Open(parse, device);
            using var communicator = DistributedOption.Open(parse, distributed, collectiveTimeout, target);
            return await DistributedOption.RunOnEveryRank(communicator, async () =>
            {
                string text = await File.ReadAllTextAsync(parse.GetValue(data)!.FullName, interrupt.Token);
                string folder = parse.GetValue(output)!.FullName;
                // The model's shape and alphabet must be known before the model exists, so a checkpoint's config is read here;
                // restoring its weights and state is the trainer's (TryResume).
                string checkpointPath = Path.Combine(folder, Checkpoint.FileName);
                bool resuming = File.Exists(checkpointPath);
                var tokenizer = resuming ? CharTokenizer.Load(folder) : CharTokenizer.FromCorpus(text);
                int[] tokens = tokenizer.Encode(text);
                int split = (int)(tokens.Length * 0.9);
                var config = resuming
                    ? Checkpoint.ReadState(checkpointPath).Config
                    : new GptConfig
                    {
                        VocabularySize = tokenizer.VocabularySize, ContextLength = parse.GetValue(context), EmbeddingSize = parse.GetValue(width),
                        LayerCount = parse.GetValue(layers), HeadCount = parse.GetValue(heads), Dropout = parse.GetValue(dropout),
                    };
                var options = new TrainingOptions
                {
                    BatchSize = parse.GetValue(batch), SequenceLength = config.ContextLength, MaxSteps = parse.GetValue(steps),
                    GradientAccumulationSteps = parse.GetValue(accumulation), LearningRate = parse.GetValue(learningRate),
                    MinLearningRate = parse.GetValue(minLearningRate), WarmupSteps = parse.GetValue(warmup), WeightDecay = parse.GetValue(weightDecay),
                    GradientClip = parse.GetValue(clip), EvalInterval = parse.GetValue(evalInterval), EvalBatches = parse.GetValue(evalBatches),
                    CheckpointInterval = parse.GetValue(checkpointInterval), CheckpointDirectory = folder, Seed = parse.GetValue(seed),
                };

                using var model = new GptModel(config, target, seed: options.Seed);
                using var train = TokenDataset.FromTokens(tokens[..split]);
                using var validation = TokenDataset.FromTokens(tokens[split..]);
                using var trainer = new Trainer(model, train, validation, options, communicator);
                bool root = communicator.Rank == 0;
                // The alphabet goes in first: resuming after a crash that left only a checkpoint needs it (see above).
                if (root)
                {
                    Directory.CreateDirectory(folder);
                    tokenizer.Save(folder);
                }

                if (trainer.TryResume() && root) Console.Error.WriteLine($"resuming from step {trainer.Step} ({trainer.CheckpointPath})");

                if (root) Console.Error.WriteLine($"model: {config.LayerCount} layers, {config.HeadCount} heads, width {config.EmbeddingSize}, " +
                    $"context {config.ContextLength}, vocab {config.VocabularySize}: {model.ParameterCount:N0} parameters; {tokens.Length:N0} tokens");
                var progress = new ConsoleProgress { EveryStep = parse.GetValue(logSteps) };
                try
                {
                    var result = await trainer.RunAsync(root ? progress : null, interrupt.Token);
                    if (!root) return 0;
                    model.Save(folder, tokenizer);
                    progress.EndLine();
                    Console.Error.WriteLine($"done: {result.Steps} steps, loss {result.FinalLoss:F4}, validation {result.ValidationLoss:F4}, " +
                        $"{result.SkippedSteps} skipped, {result.Elapsed:hh\\:mm\\:ss}; model saved to {folder}");
                    return 0;
                }
                catch (OperationCanceledException)
                {
                    if (!root) return 130;
                    model.Save(folder, tokenizer);
                    progress.EndLine();
                    Console.Error.WriteLine($"cancelled at step {trainer.Step}; checkpoint saved, run the same command to resume.");
                    return 130;
                }
            });
        });
        return command;
    }
}

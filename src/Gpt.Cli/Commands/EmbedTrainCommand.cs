using System.CommandLine;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt embed train</c>: contrastive training of an embedding head (cpt-text) from a model folder, run by
/// <see cref="ContrastiveTraining"/>: symmetric InfoNCE over in-batch and hard negatives, batches of any size through
/// gradient caching (<c>--chunk</c>), every weight or a LoRA adapter. <c>--out</c> becomes a head folder that
/// <c>gpt embed --model MODEL --head OUT</c> uses (with LoRA: beside the base folder; without: a complete model folder
/// too). The checkpoint is kept in <c>--out</c>, so the same command run again resumes, and Ctrl+C leaves a usable head.
/// </summary>
internal static class EmbedTrainCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to start from (a pretrained GPT-2, say).", Required = true };
        var data = new Option<FileInfo?>("--data") { Description = "JSONL pairs, one a line: {\"query\", \"positive\"[, \"negatives\": [...]]}." };
        var pairsFromText = new Option<FileInfo?>("--pairs-from-text") { Description = "A plain-text file whose neighbouring chunks are the pairs (cpt-text's unsupervised recipe)." };
        var chunkTokens = new Option<int>("--chunk-tokens") { Description = "Tokens per chunk of --pairs-from-text.", DefaultValueFactory = _ => 64 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the head and the checkpoint; a checkpoint there is resumed.", Required = true };
        var pooling = new Option<string>("--pooling") { Description = "end: the hidden state at an end delimiter (cpt-text); mean: mean of the text's tokens.", DefaultValueFactory = _ => "end" };
        pooling.AcceptOnlyFromAmong("end", "mean");
        var dimension = new Option<int?>("--dimension") { Description = "Project embeddings to this width (default: the model's width, no projection)." };
        var temperature = new Option<float>("--temperature") { Description = "InfoNCE temperature (initial value with --learn-temperature).", DefaultValueFactory = _ => 0.05f };
        var learnTemperature = new Option<bool>("--learn-temperature") { Description = "Learn the temperature as a log-scale parameter." };
        var chunk = new Option<int>("--chunk") { Description = "Texts per forward pass with gradients (GradCache); 0: the whole batch at once.", DefaultValueFactory = _ => 0 };
        var heldOut = new Option<double?>("--held-out") { Description = "Evaluate on this fraction of the pairs, held out from training (e.g. 0.1)." };
        var lora = new LoraArguments();
        var training = new TrainingArguments(ContrastiveTraining.DefaultOptions, "Pairs per batch (each pair's negatives are the others' documents).");
        var device = DeviceOption.Create();
        var command = GracefulCancel.Enable(new Command("train", "Train an embedding head contrastively (InfoNCE, in-batch negatives, GradCache) on pairs.")
        {
            model, data, pairsFromText, chunkTokens, output, pooling, dimension, temperature, learnTemperature, chunk, heldOut, device,
        });
        foreach (var option in lora.All.Concat(training.All)) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this step to save the checkpoint and the head...");
            string outputFolder = parse.GetValue(output)!.FullName;
            if (File.Exists(outputFolder)) throw new ArgumentException($"--out '{outputFolder}' is a file; give a folder, new or written by an earlier run to resume.");
            FileInfo? pairs = parse.GetValue(data), text = parse.GetValue(pairsFromText);
            if ((pairs is null) == (text is null)) throw new ArgumentException("give --data (JSONL pairs) or --pairs-from-text (a plain-text file), one of them.");
            var loraConfig = lora.Read(parse);
            var target = DeviceOption.Open(parse, device);
            string modelFolder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(modelFolder);
            using var gpt = GptModel.FromPretrained(modelFolder, target);
            var run = ContrastiveTraining.For(gpt, tokenizer)
                .WithHead(parse.GetValue(pooling) == "mean" ? EmbeddingPooling.Mean : EmbeddingPooling.EndToken, parse.GetValue(dimension))
                .WithContrastiveOptions(o => o with
                {
                    Temperature = parse.GetValue(temperature), LearnTemperature = parse.GetValue(learnTemperature), ChunkSize = parse.GetValue(chunk),
                })
                .WithOptions(o => training.Apply(parse, o, gpt.Config.ContextLength))
                .SaveTo(outputFolder);
            if (pairs is not null) run.OnPairs(pairs.FullName);
            else run.OnTextPairs(text!.FullName).WithDataOptions(o => o with { TextChunkTokens = parse.GetValue(chunkTokens) });
            if (loraConfig is not null) run.WithLora(loraConfig, Embedder.AdapterName, parse.GetValue(training.Seed));
            if (parse.GetValue(heldOut) is { } fraction) run.HoldOut(fraction);

            var c = gpt.Config;
            Console.Error.WriteLine($"model: {modelFolder}: {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, context {c.ContextLength}; " +
                $"training {(loraConfig is null ? $"all {gpt.ParameterCount:N0} parameters" : $"LoRA rank {loraConfig.Rank}")} and the embedding head");
            var progress = new ConsoleProgress(("accuracy", "acc"), ("temperature", "tau"));
            try
            {
                var result = await run.RunAsync(progress, interrupt.Token);
                result.Embedder.Dispose();
                progress.EndLine();
                var outcome = result.Training;
                string figures = (float.IsFinite(outcome.FinalLoss) ? $", loss {outcome.FinalLoss:F4}" : "") +
                    (outcome.ValidationLoss is { } validation ? $", eval loss {validation:F4}" : "") +
                    (result.Evaluation.TryGetValue("accuracy", out double accuracy) ? $", eval accuracy {accuracy:F4}" : "");
                string resumed = result.ResumedFromStep is { } step ? $" (resumed from step {step})" : "";
                Console.Error.WriteLine($"done: {outcome.Steps} steps{resumed}{figures}, {outcome.SkippedSteps} skipped, {outcome.Elapsed:hh\\:mm\\:ss}; " +
                    $"head saved to {outputFolder}: embed with `gpt embed --model {(loraConfig is null ? outputFolder : modelFolder)} --head {outputFolder}`");
                return 0;
            }
            catch (OperationCanceledException)
            {
                progress.EndLine();
                Console.Error.WriteLine(progress.LastStep == 0
                    ? "cancelled before the first step; run the same command to start again."
                    : $"cancelled at step {progress.LastStep}; checkpoint and head saved to {outputFolder}: run the same command to resume.");
                return 130;
            }
        });
        return command;
    }
}

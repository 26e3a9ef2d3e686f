using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt sft</c>: supervised fine-tuning of a model folder on JSONL examples, run by <see cref="FineTune"/>. With
/// <c>--lora-rank</c> it trains a LoRA adapter and <c>--out</c> becomes a PEFT adapter folder; without, every weight is
/// trained and <c>--out</c> becomes a model folder with its tokenizer. The run's checkpoint is kept in <c>--out</c>, so the
/// same command run again resumes, and Ctrl+C leaves both a checkpoint and a usable result.
/// </summary>
internal static class SftCommand
{
    // PEFT's name for an adapter trained alone; the folder, not this name, is what identifies it afterwards.
    private const string AdapterName = "default";

    public static Command Create()
    {
        var defaults = FineTune.DefaultOptions;
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to start from (config.json, model.safetensors, tokenizer).", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "JSONL examples, one a line: prompt/completion, messages, or instruction/input/output.", Required = true };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the result (a PEFT adapter folder with --lora-rank, a model folder otherwise) and the checkpoint; " +
                "a checkpoint there is resumed.",
            Required = true,
        };
        var lora = new LoraArguments();
        var pack = new Option<bool>("--pack") { Description = "Pack several examples into each row (each attends only to itself)." };
        var allTokens = new Option<bool>("--all-tokens") { Description = "Train on every token, prompts included, not only on completions and assistant replies." };
        var evaluation = new EvaluationDataArguments("examples", "examples");
        var training = new TrainingArguments(defaults, "Rows per micro-batch.");
        var device = DeviceOption.Create();
        var distributed = DistributedOption.Create();
        var collectiveTimeout = DistributedOption.CreateTimeout();
        var logSteps = new Option<bool>("--log-steps") { Description = "Write a progress line for every step (loss to six decimals) instead of a live line." };

        var command = GracefulCancel.Enable(new Command("sft", "Fine-tune a model on JSONL examples: every weight, or a LoRA adapter.")
        {
            model, data, output, pack, allTokens, device, distributed, collectiveTimeout, logSteps,
        });
        foreach (var option in evaluation.All.Concat(lora.All).Concat(training.All)) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this step to save the checkpoint and the result...");
            string outputFolder = parse.GetValue(output)!.FullName;
            if (File.Exists(outputFolder)) throw new ArgumentException($"--out '{outputFolder}' is a file; give a folder, new or written by an earlier run to resume.");
            var loraConfig = lora.Read(parse);
            evaluation.Check(parse);

            DistributedOption.ShareCores(parse, distributed);
            var target = DeviceOption.Open(parse, device);
            using var communicator = DistributedOption.Open(parse, distributed, collectiveTimeout, target);
            bool root = communicator.Rank == 0;
            string modelFolder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(modelFolder);
            using var gpt = GptModel.FromPretrained(modelFolder, target);
            var run = FineTune.For(gpt, tokenizer)
                .OnSftData(parse.GetValue(data)!.FullName)
                .Packed(parse.GetValue(pack))
                .WithDataOptions(o => o with
                {
                    TrainOnAllTokens = parse.GetValue(allTokens),
                    OverlongExamples = evaluation.ReadOverlong(parse),
                })
                .WithOptions(o => training.Apply(parse, o, gpt.Config.ContextLength))
                .SaveTo(outputFolder)
                .DataParallel(communicator);
            if (loraConfig is not null) run.WithLora(loraConfig, AdapterName, parse.GetValue(training.Seed));
            evaluation.Apply(parse, run);

            // FineTune saves the checkpoint and the result on cancellation only once training has started; before that
            // (while the data loads) Ctrl+C leaves nothing, and the program reports it as a plain cancellation.
            FineTuneStart? start = null;
            run.OnStarting(s =>
            {
                start = s;
                if (root) Describe(s, gpt, modelFolder);
            });
            var progress = new ConsoleProgress { EveryStep = parse.GetValue(logSteps) };
            string what = loraConfig is null ? "model" : "adapter";
            try
            {
                var result = await DistributedOption.RunOnEveryRank(communicator, () => run.RunAsync(root ? progress : null, interrupt.Token));
                if (!root) return 0;
                return TrainingOutcome.Done(progress, result.Training, TrainingOutcome.Saved(outputFolder, loraConfig is not null, modelFolder));
            }
            catch (OperationCanceledException) when (start is not null)
            {
                if (!root) return 130;
                return TrainingOutcome.Cancelled(progress, start.ResumedFromStep, start.Options.MaxSteps, what, outputFolder);
            }
        });
        return command;
    }

    private static void Describe(FineTuneStart start, GptModel model, string modelFolder)
    {
        var c = model.Config;
        string trained = model.Adapters.TryGetValue(AdapterName, out var adapter)
            ? $"LoRA rank {adapter.Config.Rank} (alpha {adapter.Config.Alpha}) on {string.Join(", ", adapter.Config.TargetModules)}: " +
              $"{adapter.Parameters.Count:N0} trainable parameters"
            : $"all {model.ParameterCount:N0} parameters";
        Console.Error.WriteLine($"model: {modelFolder}: {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, context {c.ContextLength}; training {trained}");
        var train = start.Train;
        string evaluation = start.Evaluation is { } e ? $"; {e.Count:N0} for evaluation" : "";
        Console.Error.WriteLine($"data: {train.Count:N0} training examples ({train.TokenCount:N0} tokens, {train.TargetCount:N0} with loss){evaluation}; rows of {start.Options.SequenceLength} tokens");
        if (start.SkippedLines.Count > 0)
            Console.Error.WriteLine($"skipped {Examples(start.SkippedLines.Count)} longer than the context of {start.Options.SequenceLength} tokens: {Lines(start.SkippedLines)}");
        if (start.SkippedEvaluationLines.Count > 0)
            Console.Error.WriteLine($"skipped {Examples(start.SkippedEvaluationLines.Count)} of the evaluation data longer than the context: {Lines(start.SkippedEvaluationLines)}");
        if (start.ResumedFromStep is { } step) Console.Error.WriteLine($"resuming from step {step}");
    }

    internal static string Examples(int count) => count == 1 ? "1 example" : $"{count:N0} examples";

    // A long list is cut: the first lines are enough to find the pattern, the count says how many there are.
    internal static string Lines(IReadOnlyList<int> lines)
    {
        const int Shown = 20;
        string list = string.Join(", ", lines.Take(Shown));
        return (lines.Count == 1 ? "line " : "lines ") + list + (lines.Count > Shown ? $", ... ({lines.Count - Shown:N0} more)" : "");
    }
}

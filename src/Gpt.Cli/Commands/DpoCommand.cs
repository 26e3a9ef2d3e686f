using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt dpo</c>: aligns a model folder (usually an SFT model) on JSONL preference pairs or ranked lists with DPO or IPO,
/// run by <see cref="Dpo"/>. The reference is the model as given (with <c>--lora-rank</c>, the base with the adapter off),
/// its log-probabilities computed once before the first step. Output, resume and Ctrl+C are as in <c>gpt sft</c>: a PEFT
/// adapter folder with <c>--lora-rank</c>, a model folder otherwise, the checkpoint and metrics.jsonl beside it.
/// </summary>
internal static class DpoCommand
{
    // PEFT's name for an adapter trained alone, as gpt sft uses.
    private const string AdapterName = "default";

    public static Command Create()
    {
        var defaults = Dpo.DefaultOptions;
        var lossDefaults = new DpoOptions();
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to start from and to use as the reference (usually the SFT model).", Required = true };
        var data = new Option<FileInfo>("--data")
        {
            Description = "JSONL preferences, one a line: {\"prompt\", \"chosen\", \"rejected\"} or {\"prompt\", \"responses\": [best, ..., worst]}.",
            Required = true,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the result (a PEFT adapter folder with --lora-rank, a model folder otherwise), the checkpoint and metrics.jsonl; " +
                "a checkpoint there is resumed.",
            Required = true,
        };
        var beta = new Option<float>("--beta") { Description = "β: how far the policy may move from the reference (DPO's reward temperature; IPO's τ).", DefaultValueFactory = _ => lossDefaults.Beta };
        var loss = new Option<string>("--loss") { Description = "sigmoid (DPO) or ipo.", DefaultValueFactory = _ => "sigmoid" };
        loss.AcceptOnlyFromAmong("sigmoid", "ipo");
        var smoothing = new Option<float>("--label-smoothing") { Description = "Assumed fraction of flipped labels, in [0, 0.5) (conservative DPO; sigmoid loss only).", DefaultValueFactory = _ => 0f };
        var evaluation = new EvaluationDataArguments("preferences", "prompts");
        var lora = new LoraArguments();
        var training = new TrainingArguments(defaults, "Prompts per micro-batch (each with all its pairs; each pair is two rows).");
        var device = DeviceOption.Create();

        var command = GracefulCancel.Enable(new Command("dpo", "Align a model on preference pairs with DPO or IPO: every weight, or a LoRA adapter.")
        {
            model, data, output, beta, loss, smoothing, device,
        });
        foreach (var option in evaluation.All.Concat(lora.All).Concat(training.All)) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this step to save the checkpoint and the result...");
            string outputFolder = parse.GetValue(output)!.FullName;
            if (File.Exists(outputFolder)) throw new ArgumentException($"--out '{outputFolder}' is a file; give a folder, new or written by an earlier run to resume.");
            var loraConfig = lora.Read(parse);
            var lossOptions = new DpoOptions
            {
                Beta = parse.GetValue(beta),
                LossType = parse.GetValue(loss) == "ipo" ? DpoLossType.Ipo : DpoLossType.Sigmoid,
                LabelSmoothing = parse.GetValue(smoothing),
            };
            try
            {
                lossOptions.Validate();
            }
            catch (ArgumentException e)
            {
                // Name the options as the command line spells them.
                throw new ArgumentException(e.Message.Replace("LabelSmoothing", "--label-smoothing", StringComparison.Ordinal)
                    .Replace("Beta", "--beta", StringComparison.Ordinal).Replace("LossType", "--loss", StringComparison.Ordinal), e);
            }
            evaluation.Check(parse);

            var target = DeviceOption.Open(parse, device);
            string modelFolder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(modelFolder);
            using var gpt = GptModel.FromPretrained(modelFolder, target);
            var run = Dpo.For(gpt, tokenizer)
                .OnPreferenceData(parse.GetValue(data)!.FullName)
                .WithLoss(_ => lossOptions)
                .WithDataOptions(o => o with { OverlongExamples = evaluation.ReadOverlong(parse) })
                .WithOptions(o => training.Apply(parse, o, gpt.Config.ContextLength))
                .SaveTo(outputFolder);
            if (loraConfig is not null) run.WithLora(loraConfig, AdapterName, parse.GetValue(training.Seed));
            evaluation.Apply(parse, run);

            DpoStart? start = null;
            run.OnStarting(s =>
            {
                start = s;
                Describe(s, gpt, modelFolder);
            });
            var progress = new ConsoleProgress(("reward_accuracy", "acc"), ("reward_margin", "margin"));
            string what = loraConfig is null ? "model" : "adapter";
            try
            {
                var result = await run.RunAsync(progress, interrupt.Token);
                return TrainingOutcome.Done(progress, result.Training, TrainingOutcome.Saved(outputFolder, loraConfig is not null, modelFolder));
            }
            catch (OperationCanceledException) when (start is not null)
            {
                return TrainingOutcome.Cancelled(progress, start.ResumedFromStep, start.Options.MaxSteps, what, outputFolder);
            }
        });
        return command;
    }

    private static void Describe(DpoStart start, GptModel model, string modelFolder)
    {
        var c = model.Config;
        string trained = model.Adapters.TryGetValue(AdapterName, out var adapter)
            ? $"LoRA rank {adapter.Config.Rank} (alpha {adapter.Config.Alpha}) on {string.Join(", ", adapter.Config.TargetModules)}: " +
              $"{adapter.Parameters.Count:N0} trainable parameters; reference: the base with the adapter off"
            : $"all {model.ParameterCount:N0} parameters; reference: the model as loaded";
        Console.Error.WriteLine($"model: {modelFolder}: {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, context {c.ContextLength}; training {trained}");
        string lossName = start.Loss.LossType == DpoLossType.Ipo ? "IPO" : start.Loss.LabelSmoothing > 0 ? $"DPO, label smoothing {start.Loss.LabelSmoothing}" : "DPO";
        string evaluation = start.Evaluation is { } e ? $"; {e.Count:N0} pairs ({e.Groups.Count:N0} prompts) for evaluation" : "";
        Console.Error.WriteLine($"data: {start.Train.Count:N0} training pairs ({start.Train.Groups.Count:N0} prompts){evaluation}; rows of {start.Options.SequenceLength} tokens; " +
            $"loss {lossName}, beta {start.Loss.Beta}");
        if (start.SkippedLines.Count > 0)
            Console.Error.WriteLine($"skipped {SftCommand.Examples(start.SkippedLines.Count)} longer than the context of {start.Options.SequenceLength} tokens: {SftCommand.Lines(start.SkippedLines)}");
        if (start.SkippedEvaluationLines.Count > 0)
            Console.Error.WriteLine($"skipped {SftCommand.Examples(start.SkippedEvaluationLines.Count)} of the evaluation data longer than the context: {SftCommand.Lines(start.SkippedEvaluationLines)}");
        if (start.ResumedFromStep is { } step) Console.Error.WriteLine($"resuming from step {step}");
    }
}

using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt rm</c>: trains a reward model from a model folder on JSONL preferences (pairs or ranked lists), run by
/// <see cref="RewardModelTraining"/>. <c>--out</c> becomes a reward model folder (the model, its tokenizer and
/// <c>score_head.safetensors</c>; with <c>--lora-rank</c> the adapter is merged into the weights) that <c>gpt score</c> and
/// <c>RewardModel.Load</c> open. The run's checkpoint is kept in <c>--out</c>, so the same command run again resumes, and
/// Ctrl+C leaves both a checkpoint and a usable reward model.
/// </summary>
internal static class RmCommand
{
    private const string AdapterName = "reward";

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to start from, usually the SFT model (config.json, model.safetensors, tokenizer).", Required = true };
        var data = new Option<FileInfo>("--data")
        {
            Description = "JSONL preferences, one a line: {\"prompt\", \"chosen\", \"rejected\"} or {\"prompt\", \"responses\": [best, ..., worst]}.",
            Required = true,
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the reward model and the checkpoint; a checkpoint there is resumed.", Required = true };
        var evaluation = new EvaluationDataArguments("preferences", "prompts");
        var lora = new LoraArguments();
        var training = new TrainingArguments(RewardModelTraining.DefaultOptions, "Prompts per micro-batch; each brings all its pairs, two rows a pair.");
        var device = DeviceOption.Create();

        var command = GracefulCancel.Enable(new Command("rm", "Train a reward model on JSONL preferences (pairs or ranked lists): a score head on the model, " +
            "with every weight or a LoRA adapter trained.")
        {
            model, data, output, device,
        });
        foreach (var option in evaluation.All.Concat(lora.All).Concat(training.All)) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var interrupt = GracefulCancel.Listen(cancellationToken, "stopping after this step to save the checkpoint and the reward model...");
            string outputFolder = parse.GetValue(output)!.FullName;
            if (File.Exists(outputFolder)) throw new ArgumentException($"--out '{outputFolder}' is a file; give a folder, new or written by an earlier run to resume.");
            var loraConfig = lora.Read(parse);
            evaluation.Check(parse);

            var target = DeviceOption.Open(parse, device);
            string modelFolder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(modelFolder);
            using var gpt = GptModel.FromPretrained(modelFolder, target);
            var run = RewardModelTraining.For(gpt, tokenizer)
                .OnPreferenceData(parse.GetValue(data)!.FullName)
                .WithDataOptions(o => o with { OverlongExamples = evaluation.ReadOverlong(parse) })
                .WithOptions(o => training.Apply(parse, o, gpt.Config.ContextLength))
                .SaveTo(outputFolder);
            if (loraConfig is not null) run.WithLora(loraConfig, AdapterName, parse.GetValue(training.Seed));
            evaluation.Apply(parse, run);

            RewardModelTrainingStart? start = null;
            run.OnStarting(s =>
            {
                start = s;
                Describe(s, gpt, modelFolder, loraConfig is null ? null : gpt.Adapters[AdapterName]);
            });
            var progress = new ConsoleProgress(("accuracy", "acc"), ("margin", "margin"));
            try
            {
                var result = await run.RunAsync(progress, interrupt.Token);
                result.RewardModel.Dispose();
                string accuracy = result.Evaluation.TryGetValue("accuracy", out double value) ? $", eval accuracy {value:F4}" : "";
                return TrainingOutcome.Done(progress, result.Training,
                    $"reward model saved to {outputFolder}{(loraConfig is null ? "" : " (adapter merged)")}", accuracy);
            }
            catch (OperationCanceledException) when (start is not null)
            {
                return TrainingOutcome.Cancelled(progress, start.ResumedFromStep, start.Options.MaxSteps, "reward model", outputFolder);
            }
        });
        return command;
    }

    private static void Describe(RewardModelTrainingStart start, GptModel model, string modelFolder, Gpt.Sdk.Nn.Lora.LoraAdapter? adapter)
    {
        var c = model.Config;
        string trained = adapter is not null
            ? $"LoRA rank {adapter.Config.Rank} (alpha {adapter.Config.Alpha}) on {string.Join(", ", adapter.Config.TargetModules)}: " +
              $"{adapter.Parameters.Count:N0} parameters and the score head"
            : $"all {model.ParameterCount:N0} parameters and the score head";
        Console.Error.WriteLine($"model: {modelFolder}: {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, context {c.ContextLength}; training {trained}");
        string evaluation = start.Evaluation is { } e ? $"; {e.Groups.Count:N0} prompts ({e.Count:N0} pairs) for evaluation" : "";
        Console.Error.WriteLine($"data: {start.Train.Groups.Count:N0} training prompts ({start.Train.Count:N0} pairs){evaluation}; rows of at most {start.Options.SequenceLength} tokens");
        if (start.SkippedLines.Count > 0)
            Console.Error.WriteLine($"skipped {SftCommand.Examples(start.SkippedLines.Count)} longer than {start.Options.SequenceLength} tokens: {SftCommand.Lines(start.SkippedLines)}");
        if (start.SkippedEvaluationLines.Count > 0)
            Console.Error.WriteLine($"skipped {SftCommand.Examples(start.SkippedEvaluationLines.Count)} of the evaluation data longer than {start.Options.SequenceLength} tokens: {SftCommand.Lines(start.SkippedEvaluationLines)}");
        if (start.ResumedFromStep is { } step) Console.Error.WriteLine($"resuming from step {step}");
    }
}

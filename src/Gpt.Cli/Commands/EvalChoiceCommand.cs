using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt eval choice</c>: a multiple-choice benchmark scored as lm-evaluation-harness scores it (the
/// log-likelihood of each choice after a k-shot prompt), printing <c>{"acc", "acc_norm", "items", …}</c> on its last line.</summary>
internal static class EvalChoiceCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer).", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "Benchmark JSONL, one {\"context\", \"choices\": [...], \"answer\": index} a line.", Required = true };
        var shots = new Option<int>("--shots") { Description = "Solved exemplars before each question (k-shot), drawn from --dev.", DefaultValueFactory = _ => 0 };
        var dev = new Option<FileInfo>("--dev") { Description = "JSONL split the exemplars come from (same format); required with --shots above 0." };
        var seed = new Option<int>("--seed") { Description = "Seed of the exemplar draw.", DefaultValueFactory = _ => new MultipleChoiceOptions().Seed };
        var batch = new Option<int>("--batch") { Description = "(prompt, choice) rows per forward pass.", DefaultValueFactory = _ => LogLikelihood.DefaultBatchSize };
        var adapter = AdapterOption.Create("LoRA adapter folder (PEFT layout) to apply; the scores are then the adapted model's.");
        var device = DeviceOption.Create();
        var command = new Command("choice", "Multiple-choice accuracy (acc, acc_norm) by the log-likelihood of each choice, as lm-evaluation-harness computes it.")
        {
            model, data, shots, dev, seed, batch, adapter, device,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(shots) < 0) result.AddError("--shots must be 0 or more.");
            if (result.GetValue(shots) > 0 && result.GetValue(dev) is null) result.AddError("--shots above 0 needs --dev, the split exemplars are drawn from (never the evaluated items).");
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Checked here, not in a validator: there the option's default is not applied yet and reads as 0.
            if (parse.GetValue(batch) < 1) throw new ArgumentException("--batch must be at least 1.");
            var items = MultipleChoiceData.Read(parse.GetValue(data)!.FullName);
            var devItems = parse.GetValue(dev) is { } devFile ? MultipleChoiceData.Read(devFile.FullName) : null;
            var target = DeviceOption.Open(parse, device);
            string folder = parse.GetValue(model)!.FullName;
            using var gpt = GptModel.FromPretrained(folder, target);
            var tokenizer = TokenizerFiles.Load(folder);
            var options = new MultipleChoiceOptions
            {
                Shots = parse.GetValue(shots),
                Dev = devItems,
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batch),
                Adapter = parse.GetValue(adapter) is { } adapterFolder ? AdapterOption.Load(gpt, adapterFolder) : null,
            };
            Console.Error.WriteLine($"data: {items.Count} items, {items.Sum(i => i.Choices.Count)} choices; {options.Shots}-shot" +
                (devItems is null ? "" : $" from {devItems.Count} dev items, seed {options.Seed}"));
            var result = await new MultipleChoiceEvaluator(gpt, tokenizer).EvaluateAsync(items, options, new StderrProgress(), cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["acc"] = result.Accuracy,
                ["acc_stderr"] = result.AccuracyStandardError,
                ["acc_norm"] = result.NormalizedAccuracy,
                ["acc_norm_stderr"] = result.NormalizedAccuracyStandardError,
                ["items"] = result.Items.Count,
            }));
            return 0;
        });
        return command;
    }

    /// <summary>Reports on stderr synchronously (Progress&lt;T&gt; would post to the thread pool and could print after the result).</summary>
    private sealed class StderrProgress : IProgress<ScoringProgress>
    {
        private TimeSpan? _last;

        public void Report(ScoringProgress value)
        {
            // About once a second, and always at the end, so a large benchmark does not flood the terminal.
            if (value.Completed < value.Total && _last is { } last && value.Elapsed - last < TimeSpan.FromSeconds(1)) return;
            _last = value.Elapsed;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {value.Completed}/{value.Total} choices, {value.Elapsed.TotalSeconds:F1} s"));
        }
    }
}

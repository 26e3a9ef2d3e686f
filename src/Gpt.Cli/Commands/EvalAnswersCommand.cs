using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt eval answers</c>: answers the questions of a JSONL file greedily and by self-consistency (a majority vote over
/// <c>--n</c> sampled reasoning paths), with k-shot exemplars from <c>--dev</c>, optionally as worked solutions
/// (<c>--cot</c>) or with the zero-shot trigger (<c>--zero-shot-cot</c>). Progress goes to stderr; the last line of
/// stdout is <c>{"greedy_accuracy", "self_consistency_accuracy", "n", "items", "mean_vote_share"}</c>.
/// </summary>
internal static class EvalAnswersCommand
{
    private const int DefaultShotsWithDev = 8;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder.", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "JSONL of {\"question\", \"answer\"[, \"solution\"]} to evaluate on.", Required = true };
        var dev = new Option<FileInfo>("--dev") { Description = "JSONL of the same shape to take the few-shot exemplars from, in file order (--cot: each needs a \"solution\")." };
        var shots = new Option<int?>("--shots") { Description = $"Exemplars per prompt (default {DefaultShotsWithDev} with --dev, else 0); those that do not fit the context are dropped from the end." };
        var cot = new Option<bool>("--cot") { Description = "Chain of thought: exemplars show their worked solution, then \"The answer is X.\"." };
        var zeroShotCot = new Option<bool>("--zero-shot-cot") { Description = "Start every answer with \"Let's think step by step.\"." };
        var n = new Option<int>("--n") { Description = "Reasoning paths sampled per question for the vote.", DefaultValueFactory = _ => 10 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the paths, > 0.", DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling of the paths, in (0, 1].", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (question i uses seed + i): the same seed gives the same figures.", DefaultValueFactory = _ => 0UL };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per answer; the prompt gets the rest of the context.", DefaultValueFactory = _ => 128 };
        var pattern = new Option<string>("--answer-pattern") { Description = "Regular expression reading the answer (its group 'answer', else group 1); default: \"The answer is X\", else the last number." };
        var adapter = AdapterOption.Create("LoRA adapter folder (PEFT layout) to answer with.");
        var device = DeviceOption.Create();
        var command = new Command("answers", "Print greedy and self-consistency accuracy of a model on questions with short answers.")
        {
            model, data, dev, shots, cot, zeroShotCot, n, temperature, topP, seed, maxTokens, pattern, adapter, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new SelfConsistencyOptions
            {
                Samples = parse.GetValue(n), Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed), MaxTokens = parse.GetValue(maxTokens),
            }.Validate();
            bool chainOfThought = parse.GetValue(cot);
            var devFile = parse.GetValue(dev);
            int shotCount = parse.GetValue(shots) ?? (devFile is null ? 0 : DefaultShotsWithDev);
            if (shotCount < 0) throw new ArgumentException($"--shots must be 0 or more, got {shotCount}.");
            if (shotCount > 0 && devFile is null)
                throw new ArgumentException("--shots needs --dev FILE to take the exemplars from (a split apart from --data, so no question is its own example).");
            if (chainOfThought && shotCount == 0)
                throw new ArgumentException("--cot shows worked exemplars, so it needs --dev FILE with solutions and --shots above 0; for chain of thought without exemplars use --zero-shot-cot.");
            var extractor = parse.GetValue(pattern) is { } regex ? new AnswerExtractor(regex) : AnswerExtractor.Default;

            var items = QuestionAnswerFile.Read(parse.GetValue(data)!.FullName);
            var exemplars = devFile is null || shotCount == 0 ? [] : QuestionAnswerFile.Read(devFile.FullName, requireSolutions: chainOfThought).Take(shotCount).ToArray();
            var prompt = new FewShotPrompt { Exemplars = exemplars, ChainOfThought = chainOfThought, ZeroShotChainOfThought = parse.GetValue(zeroShotCot) };

            var target = DeviceOption.Open(parse, device);
            string folder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(folder);
            using var gpt = GptModel.FromPretrained(folder, target);
            if (parse.GetValue(adapter) is { } adapterFolder) options = options with { Adapter = AdapterOption.Load(gpt, adapterFolder).Name };
            var sampler = new SelfConsistency(new Generator(gpt, tokenizer), extractor);

            Console.Error.WriteLine($"{items.Count} questions, {exemplars.Length} exemplars{(chainOfThought ? " with worked solutions" : "")}, {options.Samples} paths each at temperature {options.Temperature.ToString(CultureInfo.InvariantCulture)}");
            var report = await sampler.EvaluateAsync(items, prompt, options, new Progress(), cancellationToken);
            int fewest = report.Items.Min(i => i.ExemplarsKept);
            if (fewest < exemplars.Length) Console.Error.WriteLine($"note: some prompts kept only {fewest} of {exemplars.Length} exemplars to fit the {gpt.Config.ContextLength}-token context.");
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["greedy_accuracy"] = report.GreedyAccuracy,
                ["self_consistency_accuracy"] = report.SelfConsistencyAccuracy,
                ["n"] = report.Samples,
                ["items"] = report.Items.Count,
                ["mean_vote_share"] = report.MeanVoteShare,
            }));
            return 0;
        });
        return command;
    }

    // Reported synchronously on the evaluation's thread, so lines come out in order and before the figures.
    private sealed class Progress : IProgress<AnswerEvaluationProgress>
    {
        public void Report(AnswerEvaluationProgress p) =>
            Console.Error.WriteLine($"question {p.Done}/{p.Total} | greedy {p.GreedyCorrect}/{p.Done} | self-consistency {p.SelfConsistencyCorrect}/{p.Done}");
    }
}

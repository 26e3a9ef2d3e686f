using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt eval code</c>: functional correctness of HumanEval-format samples (pass@k), from a samples file or
/// generated with a model, each program run in the code sandbox. Progress and warnings go to stderr; the last line of
/// stdout is the pass@k figures as one JSON object.</summary>
internal static class EvalCodeCommand
{
    public static Command Create()
    {
        var problems = new Option<FileInfo>("--problems") { Description = "Problems JSONL: {task_id, prompt, test, entry_point[, canonical_solution]}.", Required = true };
        var samples = new Option<FileInfo>("--samples") { Description = "Samples JSONL to evaluate: {task_id, completion}." };
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder to generate the samples with (instead of --samples)." };
        var n = new Option<int?>("--n") { Description = "Samples per problem to generate (with --model)." };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (with --model).", DefaultValueFactory = _ => 0.8f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (with --model).", DefaultValueFactory = _ => 0.95f };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per completion (with --model).", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Completions generated together per problem (with --model).", DefaultValueFactory = _ => 16 };
        var seed = new Option<ulong?>("--seed") { Description = "Sampling seed (with --model): a resumed run samples as an uninterrupted one." };
        var samplesOut = new Option<FileInfo>("--samples-out") { Description = "Where generated samples go; an existing file is resumed (default: PROBLEMS.samples.jsonl)." };
        var ks = new Option<string>("--k") { Description = "Comma-separated k values of pass@k; those above n are reported, not computed.", DefaultValueFactory = _ => "1,10,100" };
        var timeout = new Option<double>("--timeout") { Description = "Wall-clock seconds per program (the CPU-time limit too).", DefaultValueFactory = _ => 10 };
        var parallel = new Option<int>("--parallel") { Description = "Programs run at once.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var memory = new Option<int>("--memory-mb") { Description = "Address-space limit per program process, in MiB.", DefaultValueFactory = _ => 1024 };
        var interpreter = new Option<string>("--interpreter") { Description = "Command that runs a program file (default python3).", DefaultValueFactory = _ => "python3" };
        var resultsOut = new Option<FileInfo>("--results-out") { Description = "Write one JSON result line per sample: {task_id, completion, result, passed, ...}." };
        var device = DeviceOption.Create();
        var command = new Command("code", "Run HumanEval-format samples in a sandbox and print pass@k as JSON.")
        {
            problems, samples, model, n, temperature, topP, maxTokens, batch, seed, samplesOut, ks, timeout, parallel, memory, interpreter, resultsOut, device,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(samples) is null) == (result.GetValue(model) is null))
                result.AddError("give exactly one of --samples FILE or --model DIR --n N.");
            else if (result.GetValue(model) is not null && result.GetValue(n) is not > 0)
                result.AddError("--model needs --n N, the samples per problem (at least 1).");
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            int[] kValues = ParseKs(parse.GetValue(ks)!);
            string problemsPath = parse.GetValue(problems)!.FullName;
            var problemList = HumanEvalFiles.ReadProblems(problemsPath);
            // The sandbox checks the interpreter before any sample is generated or run.
            var sandbox = new CodeSandbox(new CodeSandboxOptions
            {
                Command = [parse.GetValue(interpreter)!], WallClockLimit = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                MaxParallel = parse.GetValue(parallel), MemoryLimitBytes = (long)parse.GetValue(memory) << 20,
            }.Validate());
            if (sandbox.IsolationWarning is { } warning) Console.Error.WriteLine($"warning: {warning}");

            IReadOnlyList<HumanEvalSample> sampleList;
            if (parse.GetValue(model) is { } modelFolder)
            {
                string outPath = parse.GetValue(samplesOut)?.FullName ?? Path.ChangeExtension(problemsPath, null) + ".samples.jsonl";
                var options = new CodeSamplingOptions
                {
                    SamplesPerProblem = parse.GetValue(n)!.Value, Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP),
                    MaxTokens = parse.GetValue(maxTokens), BatchSize = parse.GetValue(batch), Seed = parse.GetValue(seed),
                }.Validate();
                var target = DeviceOption.Open(parse, device);
                using var gpt = GptModel.FromPretrained(modelFolder.FullName, target);
                var sampler = new CodeSampler(new Generator(gpt, TokenizerFiles.Load(modelFolder.FullName)));
                sampleList = await sampler.SampleAsync(problemList, outPath, options,
                    new SynchronousProgress<CodeSamplingProgress>(p => Console.Error.WriteLine($"sampled {p.SamplesWritten}/{p.SamplesWanted} ({p.TaskId})")),
                    cancellationToken);
                Console.Error.WriteLine($"samples: {outPath}");
            }
            else
            {
                sampleList = HumanEvalFiles.ReadSamples(parse.GetValue(samples)!.FullName, problemList);
            }

            var result = await CodeEvaluator.EvaluateAsync(problemList, sampleList, kValues, sandbox,
                new SynchronousProgress<CodeEvaluationProgress>(p =>
                {
                    if (p.Finished == p.Total || p.Finished % 100 == 0) Console.Error.WriteLine($"ran {p.Finished}/{p.Total} programs");
                }), cancellationToken);
            if (parse.GetValue(resultsOut) is { } resultsFile) HumanEvalFiles.WriteResults(resultsFile.FullName, result.Samples);
            if (result.TasksWithoutSamples.Count > 0)
                Console.Error.WriteLine($"warning: {result.TasksWithoutSamples.Count} problem(s) have no samples and are left out of pass@k: {string.Join(", ", result.TasksWithoutSamples.Take(5))}{(result.TasksWithoutSamples.Count > 5 ? ", ..." : "")}");
            foreach (int k in result.PassAtK.NotComputable)
                Console.Error.WriteLine($"pass@{k}: not computed, a problem has fewer than {k} samples.");
            Console.WriteLine(JsonSerializer.Serialize(result.PassAtK.ByName()));
            return 0;
        });
        return command;
    }

    private static int[] ParseKs(string text)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int k) || k < 1)
                throw new ArgumentException($"--k '{text}': '{part}' is not a whole number of at least 1 (e.g. --k 1,10,100).");
            values.Add(k);
        }
        if (values.Count == 0) throw new ArgumentException("--k is empty; give values such as 1,10,100.");
        return values.Distinct().ToArray();
    }
}

using System.Diagnostics;
using System.Text;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The code part of <c>gpt bench eval</c>: pass@k as the Codex paper measures it, on Python functions a baby
/// character-level GPT can learn. A task is a docstring in words and a body in symbols:
/// <code>
/// def f(x):
///     """Return x times 3 plus 4."""
///     return x * 3 + 4
/// </code>
/// with one or two operations (plus, minus, times) and constants 1–9, applied left to right (so "x plus 3 times 4" is
/// <c>(x + 3) * 4</c>). The model is pretrained on a file of such functions; then, for held-out two-operation tasks whose
/// combination of operations and constants it never saw, <see cref="CodeSampler"/> samples n completions of each prompt
/// and <see cref="CodeEvaluator"/> runs them against tests in the sandbox.
/// </summary>
/// <remarks>
/// Training is kept short on purpose: a model that writes every body right has pass@1 = pass@100 = 1, which says
/// nothing about the estimator. Part-trained, it mixes up operators and digits now and then, so pass@1 sits well
/// below 1 and more samples find more solutions, the shape the Codex paper reports.
/// </remarks>
internal static class CodeEvalBench
{
    private static readonly (string Word, string Symbol)[] Operations = [("plus", "+"), ("minus", "-"), ("times", "*")];

    // The longest function: a 45-character prompt and a 25-character body, with room to spare for a run-on sample.
    private const int Context = 96;

    /// <summary>The run's hyper-parameters, all reported in the JSON.</summary>
    internal sealed record Settings
    {
        /// <summary>Seed of the tasks, the weights, the data order and the sampling.</summary>
        public ulong Seed { get; init; } = 1;

        /// <summary>Optimizer steps of pretraining.</summary>
        public int PretrainSteps { get; init; } = 1000;

        /// <summary>Peak learning rate of pretraining.</summary>
        public float LearningRate { get; init; } = 4e-3f;

        /// <summary>Rows per batch.</summary>
        public int BatchSize { get; init; } = 16;

        /// <summary>Held-out problems.</summary>
        public int Problems { get; init; } = 20;

        /// <summary>n, the samples per problem.</summary>
        public int SamplesPerProblem { get; init; } = 100;

        /// <summary>Sampling temperature.</summary>
        public float Temperature { get; init; } = 0.6f;

        /// <summary>Nucleus sampling's probability mass.</summary>
        public float TopP { get; init; } = 0.95f;

        /// <summary>Programs the sandbox runs at once.</summary>
        public int Parallel { get; init; } = 2;
    }

    /// <summary>Runs the part and returns its JSON object.</summary>
    /// <param name="device">Where to train and generate.</param>
    /// <param name="settings">Hyper-parameters.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Stops training, sampling and the sandbox.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(unchecked((int)settings.Seed));
        var all = AllTasks();
        // Held out: two-operation tasks only, so each is a new combination of parts the training functions all show.
        var twoOps = all.Where(t => t.Ops.Length == 2).ToArray();
        random.Shuffle(twoOps);
        var heldOut = twoOps.Take(settings.Problems).ToArray();
        var held = new HashSet<string>(heldOut.Select(t => t.Docstring), StringComparer.Ordinal);
        var training = all.Where(t => !held.Contains(t.Docstring)).ToArray();

        var corpus = new StringBuilder();
        int corpusCharacters = settings.PretrainSteps * settings.BatchSize * Context;
        while (corpus.Length < corpusCharacters)
        {
            var task = training[random.Next(training.Length)];
            corpus.Append(task.Prompt).Append(task.Body).Append('\n');
        }
        var tokenizer = CharTokenizer.FromCorpus(corpus.ToString());
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = Context, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };

        log.WriteLine($"eval code: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide model for {settings.PretrainSteps} steps " +
            $"on {training.Length} training functions");
        using var model = new GptModel(config, device, settings.Seed);
        var pretrain = await BenchStages.PretrainAsync(model, tokenizer.Encode(corpus.ToString()), settings.BatchSize, Context, settings.PretrainSteps,
            settings.LearningRate, settings.Seed, folder: null, log, cancellationToken);

        var problems = heldOut.Select((t, i) => new HumanEvalProblem($"Arith/{i}", t.Prompt, t.Test, "f", t.Body)).ToArray();
        string directory = Directory.CreateTempSubdirectory("gpt-bench-eval-").FullName;
        try
        {
            log.WriteLine($"eval code: sampling {settings.SamplesPerProblem} completions of {problems.Length} held-out problems");
            var samplingClock = Stopwatch.StartNew();
            var sampler = new CodeSampler(new Generator(model, tokenizer));
            var samples = await sampler.SampleAsync(problems, Path.Combine(directory, "samples.jsonl"), new CodeSamplingOptions
            {
                SamplesPerProblem = settings.SamplesPerProblem,
                BatchSize = settings.SamplesPerProblem,
                Temperature = settings.Temperature,
                TopP = settings.TopP,
                // A body is at most 25 characters; a sample that has not stopped by 40 is wrong anyway.
                MaxTokens = 40,
                Seed = settings.Seed,
            }, cancellationToken: cancellationToken);
            double samplingSeconds = samplingClock.Elapsed.TotalSeconds;

            // A program's verdict depends only on its text, so each distinct completion of a problem runs once and its
            // verdict counts for every sample that wrote it; the passing counts, and so pass@k, are the same.
            var distinct = samples.Distinct().ToArray();
            log.WriteLine($"eval code: running {distinct.Length} distinct programs of {samples.Count} samples in the sandbox");
            var sandboxClock = Stopwatch.StartNew();
            var sandbox = new CodeSandbox(new CodeSandboxOptions { MaxParallel = settings.Parallel, WallClockLimit = TimeSpan.FromSeconds(5) });
            var evaluated = await CodeEvaluator.EvaluateAsync(problems, distinct, [1], sandbox, cancellationToken: cancellationToken);
            var passed = evaluated.Samples.ToDictionary(r => r.Sample, r => r.Passed);
            var counts = problems.Select(p =>
            {
                var mine = samples.Where(s => s.TaskId == p.TaskId).ToArray();
                return new PassCount(mine.Length, mine.Count(s => passed[s]));
            }).ToArray();
            int[] ks = [1, 10, 100];
            var report = PassAtK.Report(counts, ks.Where(k => k <= settings.SamplesPerProblem));
            double Pass(int k) => report.Values.TryGetValue(k, out double v) ? Math.Round(v, 4) : double.NaN;

            var failure = evaluated.Samples.FirstOrDefault(r => !r.Passed);
            return new Dictionary<string, object?>
            {
                ["task"] = "Python 'def f(x):' with a docstring 'Return x times 3 plus 4.' (1-2 of plus/minus/times, constants 1-9, left to right); " +
                    "held out: two-operation combinations absent from training",
                ["device"] = device.Name,
                ["threads"] = CpuParallel.ThreadCount,
                ["seed"] = settings.Seed,
                ["model"] = BenchFigures.Model(model),
                ["pretrain"] = new Dictionary<string, object>
                {
                    ["training_functions"] = training.Length,
                    ["characters"] = corpus.Length,
                    ["steps"] = settings.PretrainSteps,
                    ["batch"] = settings.BatchSize,
                    ["learning_rate"] = settings.LearningRate,
                    ["final_loss"] = Math.Round(pretrain.FinalLoss, 4),
                    ["seconds"] = Math.Round(pretrain.Elapsed.TotalSeconds, 1),
                },
                ["sampling"] = new Dictionary<string, object>
                {
                    ["problems"] = problems.Length,
                    ["n"] = settings.SamplesPerProblem,
                    ["temperature"] = settings.Temperature,
                    ["top_p"] = settings.TopP,
                    ["stop"] = CodeSamplingOptions.CodexStopSequences,
                    ["seconds"] = Math.Round(samplingSeconds, 1),
                },
                ["sandbox"] = new Dictionary<string, object?>
                {
                    ["isolation"] = sandbox.Isolation.ToString(),
                    ["parallel"] = settings.Parallel,
                    ["samples"] = samples.Count,
                    ["distinct_programs_run"] = distinct.Length,
                    ["seconds"] = Math.Round(sandboxClock.Elapsed.TotalSeconds, 1),
                },
                ["pass@1"] = Pass(1),
                ["pass@10"] = Pass(10),
                ["pass@100"] = Pass(100),
                ["solved_per_problem"] = counts.Select(c => c.Correct).ToArray(),
                ["goals"] = new Dictionary<string, object>
                {
                    ["strictly_increasing"] = Pass(1) < Pass(10) && Pass(10) < Pass(100),
                    ["pass@1_in_0.2_0.6"] = Pass(1) is >= 0.2 and <= 0.6,
                },
                ["example_failure"] = failure is null ? null : $"{failure.Sample.TaskId}: {failure.Sample.Completion.TrimEnd()} -> {failure.Summary}",
                ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            };
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One generated function: its prompt (signature and docstring), canonical body and test.</summary>
    private sealed record ArithmeticTask(int[] Ops, int[] Constants, string Docstring, string Prompt, string Body, string Test);

    // Every task, in a fixed order: 27 with one operation, 729 with two.
    private static List<ArithmeticTask> AllTasks()
    {
        var tasks = new List<ArithmeticTask>();
        for (int a = 0; a < Operations.Length; a++)
            for (int c = 1; c <= 9; c++)
                tasks.Add(Make([a], [c]));
        for (int a = 0; a < Operations.Length; a++)
            for (int c = 1; c <= 9; c++)
                for (int b = 0; b < Operations.Length; b++)
                    for (int d = 1; d <= 9; d++)
                        tasks.Add(Make([a, b], [c, d]));
        return tasks;
    }

    private static ArithmeticTask Make(int[] ops, int[] constants)
    {
        var words = new StringBuilder("Return x");
        string expression = "x";
        for (int i = 0; i < ops.Length; i++)
        {
            var (word, symbol) = Operations[ops[i]];
            words.Append(' ').Append(word).Append(' ').Append(constants[i]);
            // Left to right: a product after a sum needs the sum in parentheses.
            if (symbol == "*" && expression.Contains(' ', StringComparison.Ordinal) && !expression.Contains('*', StringComparison.Ordinal))
                expression = $"({expression})";
            expression = $"{expression} {symbol} {constants[i]}";
        }
        string docstring = words.Append('.').ToString();
        var test = new StringBuilder("def check(candidate):\n");
        foreach (int x in (int[])[0, 1, 2, 5, 7, -3])
            test.Append("    assert candidate(").Append(x).Append(") == ").Append(Evaluate(ops, constants, x)).Append('\n');
        return new ArithmeticTask(ops, constants, docstring, $"def f(x):\n    \"\"\"{docstring}\"\"\"\n", $"    return {expression}\n", test.ToString());
    }

    private static long Evaluate(int[] ops, int[] constants, long x)
    {
        for (int i = 0; i < ops.Length; i++)
            x = Operations[ops[i]].Symbol switch { "+" => x + constants[i], "-" => x - constants[i], _ => x * constants[i] };
        return x;
    }
}

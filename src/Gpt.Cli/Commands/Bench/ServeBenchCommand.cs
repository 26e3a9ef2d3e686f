using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench serve</c>: the generation service under concurrent load, continuous batching on against off in the
/// same run, on a model of random weights (GPT-2 124M's shape by default): (a) aggregate tokens/s of concurrent
/// streaming requests; (b) time to first token of a short request arriving while long ones decode; (c) a soak of many
/// requests from many clients against a small model, reporting the working set, threads and open handles after the
/// first thousand requests and at the end, and how every request ended (answered, cancelled by its client, refused with
/// a reason, or failed with one).
/// </summary>
internal static class ServeBenchCommand
{
    public static Command Create()
    {
        var parts = new Option<string>("--parts") { Description = "Which parts to run: all, or a comma list of throughput, ttft, soak.", DefaultValueFactory = _ => "all" };
        var shape = new Option<string>("--shape") { Description = "Model of parts (a) and (b): gpt2 (124M), small (4 layers, 256 wide, GPT-2 vocabulary) or tiny.", DefaultValueFactory = _ => "gpt2" };
        var clients = new Option<int>("--clients") { Description = "(a) concurrent streaming requests.", DefaultValueFactory = _ => 16 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "(a) prompt tokens per request.", DefaultValueFactory = _ => 32 };
        var newTokens = new Option<int>("--new-tokens") { Description = "(a) tokens generated per request.", DefaultValueFactory = _ => 48 };
        var longClients = new Option<int>("--long-clients") { Description = "(b) long requests decoding when the short one arrives.", DefaultValueFactory = _ => 8 };
        var samples = new Option<int>("--ttft-samples") { Description = "(b) short requests timed, one after another; the median is reported.", DefaultValueFactory = _ => 5 };
        var requests = new Option<int>("--soak-requests") { Description = "(c) requests in all.", DefaultValueFactory = _ => 10_000 };
        var soakClients = new Option<int>("--soak-clients") { Description = "(c) concurrent clients.", DefaultValueFactory = _ => 32 };
        var soakShape = new Option<string>("--soak-shape") { Description = "(c) model: tiny (2 layers, 64 wide, 512 tokens) or small.", DefaultValueFactory = _ => "tiny" };
        var maxBatch = new Option<int>("--max-batch") { Description = "BatchingOptions.MaxBatchSize.", DefaultValueFactory = _ => 16 };
        var maxQueue = new Option<int>("--soak-max-queue") { Description = "(c) BatchingOptions.MaxQueuedRequests: below the clients the batch leaves waiting, so that some requests are refused.", DefaultValueFactory = _ => 12 };
        var device = DeviceOption.Create();
        var command = new Command("serve",
            "Measure the generation service under concurrent load, continuous batching on vs off; prints {\"serve\":{...}} JSON.")
        {
            parts, shape, clients, promptTokens, newTokens, longClients, samples, requests, soakClients, soakShape, maxBatch, maxQueue, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(parts)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            if (chosen.Contains("all")) chosen = ["throughput", "ttft", "soak"];
            if (chosen.Count == 0 || chosen.Except(["throughput", "ttft", "soak"]).FirstOrDefault() is { } unknown)
                throw new ArgumentException($"--parts: '{string.Join(",", chosen)}' names no part; use all, or a comma list of throughput, ttft, soak.");
            var load = new Load(parse.GetValue(clients), parse.GetValue(promptTokens), parse.GetValue(newTokens), parse.GetValue(longClients),
                parse.GetValue(samples), parse.GetValue(maxBatch));
            load.Check();
            int soakRequests = parse.GetValue(requests), soakConcurrency = parse.GetValue(soakClients), soakQueue = parse.GetValue(maxQueue);
            if (soakRequests < 1 || soakConcurrency < 1) throw new ArgumentException("--soak-requests and --soak-clients must be at least 1.");
            new BatchingOptions { MaxQueuedRequests = soakQueue, MaxBatchSize = load.MaxBatch }.Validate();
            var config = Shape(parse.GetValue(shape)!, "--shape");
            var soakConfig = Shape(parse.GetValue(soakShape)!, "--soak-shape");
            var target = DeviceOption.Open(parse, device);

            var report = new Dictionary<string, object> { ["threads"] = CpuParallel.ThreadCount, ["max_batch"] = load.MaxBatch };
            if (chosen.Contains("throughput") || chosen.Contains("ttft"))
            {
                using var model = new GptModel(config, target, seed: 1);
                var tokenizer = Tokenizer(config.VocabularySize);
                report["model"] = Describe(model, parse.GetValue(shape)!);
                if (chosen.Contains("throughput")) report["throughput"] = await Throughput(model, tokenizer, load, cancellationToken);
                if (chosen.Contains("ttft")) report["ttft"] = await TimeToFirstToken(model, tokenizer, load, cancellationToken);
            }
            if (chosen.Contains("soak"))
            {
                using var model = new GptModel(soakConfig, target, seed: 2);
                var soak = await ServeSoak.Run(model, Tokenizer(soakConfig.VocabularySize), soakRequests, soakConcurrency,
                    new BatchingOptions { MaxBatchSize = load.MaxBatch, MaxQueuedRequests = soakQueue }, cancellationToken);
                soak["model"] = Describe(model, parse.GetValue(soakShape)!);
                report["soak"] = soak;
            }
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["serve"] = report }));
            return 0;
        });
        return command;
    }

    /// <summary>The load of parts (a) and (b).</summary>
    private sealed record Load(int Clients, int PromptTokens, int NewTokens, int LongClients, int Samples, int MaxBatch)
    {
        public void Check()
        {
            if (Clients < 1 || PromptTokens < 1 || NewTokens < 1 || LongClients < 1 || Samples < 1)
                throw new ArgumentException("--clients, --prompt-tokens, --new-tokens, --long-clients and --ttft-samples must be at least 1.");
            if (MaxBatch < 1) throw new ArgumentException($"--max-batch must be at least 1, got {MaxBatch}.");
        }
    }

    private static GptConfig Shape(string name, string option) => name switch
    {
        "gpt2" => GptConfig.Gpt2Small,
        "small" => new GptConfig { LayerCount = 4, EmbeddingSize = 256, HeadCount = 4, ContextLength = 512 },
        "tiny" => new GptConfig { VocabularySize = 512, ContextLength = 128, LayerCount = 2, EmbeddingSize = 64, HeadCount = 4 },
        _ => throw new ArgumentException($"{option} must be gpt2, small or tiny, got '{name}'."),
    };

    private static Dictionary<string, object> Describe(GptModel model, string shape)
    {
        var description = BenchFigures.Model(model);
        description["shape"] = shape;
        description["weights"] = "random (seeded), fp32";
        return description;
    }

    // One character per id, from U+0100 on (no control characters, no surrogates up to 55,000 ids): every id the
    // random model draws decodes to text, so streaming, stop sequences and the text path run as in a real service.
    public static CharTokenizer Tokenizer(int vocabulary) =>
        new(string.Create(vocabulary, 0, static (chars, _) => { for (int i = 0; i < chars.Length; i++) chars[i] = (char)(0x100 + i); }));

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    public static int[] RandomPrompt(Random random, int length, int vocabulary) =>
        Enumerable.Range(0, length).Select(_ => random.Next(vocabulary)).ToArray();

    // (a) Every client streams its request; tokens/s is all tokens over the wall time from the first start to the last end.
    private static async Task<Dictionary<string, object>> Throughput(GptModel model, ITokenizer tokenizer, Load load, CancellationToken cancellationToken)
    {
        var random = new Random(3);
        var prompts = Enumerable.Range(0, load.Clients).Select(_ => RandomPrompt(random, load.PromptTokens, model.Config.VocabularySize)).ToArray();
        var sides = new Dictionary<string, object>();
        var tokens = new Dictionary<bool, int[][]>();
        foreach (bool on in new[] { false, true })
        {
            var generator = new Generator(model, tokenizer, null, new BatchingOptions { Enabled = on, MaxBatchSize = load.MaxBatch });
            await generator.GenerateAsync(prompts[0], new GenerationOptions { MaxTokens = 2 }, cancellationToken);   // warm-up
            var cpuBefore = CpuTime();
            var started = Stopwatch.StartNew();
            var firsts = new double[load.Clients];
            var outputs = await Task.WhenAll(Enumerable.Range(0, load.Clients).Select(i => Task.Run(async () =>
            {
                var ids = new List<int>();
                var options = new GenerationOptions { MaxTokens = load.NewTokens, Temperature = 1, Seed = (ulong)i };
                await foreach (var chunk in generator.StreamAsync(prompts[i], options, cancellationToken))
                {
                    if (ids.Count == 0) firsts[i] = started.Elapsed.TotalSeconds;
                    ids.AddRange(chunk.Tokens.Select(t => t.TokenId));
                }
                return ids.ToArray();
            }, cancellationToken)));
            double seconds = started.Elapsed.TotalSeconds, cpuSeconds = (CpuTime() - cpuBefore).TotalSeconds;
            tokens[on] = outputs;
            var statistics = generator.BatchingStatistics;
            sides[on ? "on" : "off"] = new Dictionary<string, object>
            {
                ["tokens"] = outputs.Sum(o => o.Length),
                ["seconds"] = Math.Round(seconds, 3),
                ["tokens_per_s"] = Math.Round(outputs.Sum(o => o.Length) / seconds, 2),
                ["mean_first_token_s"] = Math.Round(firsts.Average(), 3),
                ["cpu_seconds"] = Math.Round(cpuSeconds, 2),
                ["tokens_per_cpu_s"] = Math.Round(outputs.Sum(o => o.Length) / cpuSeconds, 2),
                ["mean_rows_per_step"] = Math.Round(statistics.MeanRowsPerStep, 2),
                ["largest_step"] = statistics.LargestStep,
            };
        }
        double Ratio(string figure) => (double)((Dictionary<string, object>)sides["on"])[figure] / (double)((Dictionary<string, object>)sides["off"])[figure];
        return new Dictionary<string, object>
        {
            ["clients"] = load.Clients,
            ["prompt_tokens"] = load.PromptTokens,
            ["new_tokens"] = load.NewTokens,
            ["sampling"] = "temperature 1, seed = client index",
            ["off"] = sides["off"],
            ["on"] = sides["on"],
            ["speedup"] = Math.Round(Ratio("tokens_per_s"), 2),
            // On a machine shared with other work the scheduler gives CPU time per thread: "off" runs a thread per request,
            // "on" one decoding loop, so "off" gets more of a busy machine. Tokens per CPU-second do not depend on that share.
            ["speedup_per_cpu_s"] = Math.Round(Ratio("tokens_per_cpu_s"), 2),
            // Seeded sampling gives each request the same tokens with batching on or off unless the batched logits round
            // differently at a draw boundary (the GEMM's summation order depends on the rows in a step).
            ["requests_with_identical_tokens"] = Enumerable.Range(0, load.Clients).Count(i => tokens[false][i].SequenceEqual(tokens[true][i])),
        };
    }

    // (b) Long requests decode; a short one arrives, and the time to its first chunk is taken. Repeated, median reported.
    private static async Task<Dictionary<string, object>> TimeToFirstToken(GptModel model, ITokenizer tokenizer, Load load, CancellationToken cancellationToken)
    {
        var random = new Random(4);
        int vocabulary = model.Config.VocabularySize;
        int longTokens = Math.Min(model.Config.ContextLength - load.PromptTokens - 1, 100_000);
        var sides = new Dictionary<string, object>();
        foreach (bool on in new[] { false, true })
        {
            var generator = new Generator(model, tokenizer, null, new BatchingOptions { Enabled = on, MaxBatchSize = load.MaxBatch });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Each long client starts another long request when one ends (on a small model they end quickly), so the
            // short requests always arrive while all of them decode.
            var decoding = new TaskCompletionSource[load.LongClients];
            int longRequests = 0;
            var longRuns = Enumerable.Range(0, load.LongClients).Select(i =>
            {
                decoding[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var prompt = RandomPrompt(random, load.PromptTokens, vocabulary);
                return Task.Run(async () =>
                {
                    for (ulong seed = 0; !stop.IsCancellationRequested; seed++)
                    {
                        Interlocked.Increment(ref longRequests);
                        var options = new GenerationOptions { MaxTokens = longTokens, Temperature = 1, Seed = (ulong)i << 32 | seed };
                        await foreach (var _ in generator.StreamAsync(prompt, options, stop.Token)) decoding[i].TrySetResult();
                    }
                    decoding[i].TrySetResult();
                }, CancellationToken.None);
            }).ToArray();
            await Task.WhenAll(decoding.Select(d => d.Task));

            var times = new List<double>();
            for (int s = 0; s < load.Samples; s++)
            {
                var prompt = RandomPrompt(random, 16, vocabulary);
                var started = Stopwatch.StartNew();
                await foreach (var _ in generator.StreamAsync(prompt, new GenerationOptions { MaxTokens = 1 }, cancellationToken)) break;
                times.Add(started.Elapsed.TotalSeconds);
            }
            await stop.CancelAsync();
            await Task.WhenAll(longRuns);
            times.Sort();
            sides[on ? "on" : "off"] = new Dictionary<string, object>
            {
                ["median_s"] = Math.Round(times[times.Count / 2], 4),
                ["max_s"] = Math.Round(times[^1], 4),
                ["long_requests_run"] = longRequests,
            };
        }
        return new Dictionary<string, object>
        {
            ["long_requests"] = load.LongClients,
            ["short_prompt_tokens"] = 16,
            ["samples"] = load.Samples,
            ["off"] = sides["off"],
            ["on"] = sides["on"],
        };
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench embed</c>: embeddings per second of GPT-2 124M (random weights, fp32) with mean pooling, for texts of
/// exactly <c>--tokens</c> tokens, embedded through <see cref="Embedder.Embed(IReadOnlyList{string}, CancellationToken)"/>
/// as a user would (tokenisation, batching, pooling and normalisation included). The texts are random GPT-2 token ids
/// decoded by a byte-level tokenizer whose every byte is a token, so each text encodes back to exactly that many tokens.
/// </summary>
internal static class EmbedBenchCommand
{
    public static Command Create()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens per text.", DefaultValueFactory = _ => 128 };
        var texts = new Option<int>("--texts") { Description = "Texts per timed run.", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs; the best is reported.", DefaultValueFactory = _ => 3 };
        var device = DeviceOption.Create();
        var command = new Command("embed", "Time embedding texts with GPT-2 124M (mean pooling); prints {\"embed\":{...}} JSON.") { tokens, texts, repeat, device };
        command.SetAction(parse =>
        {
            int length = parse.GetValue(tokens), count = parse.GetValue(texts), runs = parse.GetValue(repeat);
            var config = GptConfig.Gpt2Small;
            if (length < 1 || length > config.ContextLength) throw new ArgumentException($"--tokens must be in [1, {config.ContextLength}], got {length}.");
            if (count < 1 || runs < 1) throw new ArgumentException("--texts and --repeat must be at least 1.");
            var target = DeviceOption.Open(parse, device);
            using var model = new GptModel(config, target, seed: 1);
            // Every byte is a token (no merges), so a text of N ASCII letters is N tokens.
            var tokenizer = BpeTrainer.Train(["abcdefghijklmnopqrstuvwxyz"], new BpeTrainerOptions { VocabularySize = 257 });
            using var embedder = Embedder.WithMeanPooling(model, tokenizer);
            var random = new Random(1);
            var inputs = Enumerable.Range(0, count).Select(_ => new string(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray())).ToList();
            if (embedder.Embed(inputs[0]).TokenCount != length) throw new InvalidOperationException("the benchmark's texts do not encode to --tokens tokens.");
            double best = double.MaxValue;
            for (int run = 0; run <= runs; run++)   // run 0 warms up
            {
                long start = Stopwatch.GetTimestamp();
                embedder.Embed(inputs);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (run > 0) best = Math.Min(best, seconds);
            }

            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["embed"] = new Dictionary<string, object>
                {
                    ["model"] = "gpt2-124M fp32 (random weights), mean pooling",
                    ["device"] = target.Name,
                    ["threads"] = CpuParallel.ThreadCount,
                    ["tokens_per_text"] = length,
                    ["texts"] = count,
                    ["embeddings_per_s"] = Math.Round(count / best, 2),
                    ["tokens_per_s"] = Math.Round(count * length / best, 1),
                    ["note"] = "best of the timed runs; the machine may be shared with other processes",
                },
            }));
            return 0;
        });
        return command;
    }
}

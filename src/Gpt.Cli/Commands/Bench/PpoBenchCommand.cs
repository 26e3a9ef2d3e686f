using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench ppo</c>: what a PPO iteration costs on a GPT-2-124M-shaped model (random weights) with a LoRA policy
/// (r=8, alpha 16, c_attn + c_proj + c_fc, base frozen and shared with the reference): seconds per iteration (rollouts,
/// scoring, the policy/value and reference passes, and every minibatch update) and the process's peak working set, for a
/// stated number of prompts, prompt length and response length. The tokenizer is a character alphabet of the model's
/// 50,257 ids (any text round-trips), the prompts random strings, the reward a cheap function of the response's
/// characters: the figures are the trainer's, not a tokenizer's or a reward model's.
/// </summary>
internal static class PpoBenchCommand
{
    private const double Mb = 1e6;

    public static Command Create()
    {
        var prompts = new Option<int>("--prompts") { Description = "Prompts (responses) per iteration.", DefaultValueFactory = _ => 8 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Tokens per prompt.", DefaultValueFactory = _ => 32 };
        var responseTokens = new Option<int>("--response-tokens") { Description = "Tokens per response (max new tokens).", DefaultValueFactory = _ => 32 };
        var minibatch = new Option<int>("--minibatch") { Description = "Responses per update.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { Description = "PPO epochs per iteration.", DefaultValueFactory = _ => 4 };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations (the median is reported).", DefaultValueFactory = _ => 1 };
        var device = DeviceOption.Create();
        var command = new Command("ppo",
            "PPO memory and speed: one iteration on a GPT-2-124M-shaped model with a LoRA policy; prints {\"ppo\":{...}} JSON.")
        {
            prompts, promptTokens, responseTokens, minibatch, epochs, iterations, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int count = parse.GetValue(prompts), promptLength = parse.GetValue(promptTokens), responseLength = parse.GetValue(responseTokens);
            int timed = parse.GetValue(iterations);
            if (timed < 1) throw new ArgumentException($"--iterations must be at least 1, got {timed}.");
            var target = DeviceOption.Open(parse, device);
            var config = GptConfig.Gpt2Small;
            if (promptLength < 1 || promptLength + responseLength > config.ContextLength)
                throw new ArgumentException($"--prompt-tokens ({promptLength}) plus --response-tokens ({responseLength}) must fit GPT-2's context of {config.ContextLength}.");
            var options = new PpoOptions
            {
                Iterations = timed, PromptsPerIteration = count, MinibatchSize = parse.GetValue(minibatch), EpochsPerIteration = parse.GetValue(epochs),
                MaxNewTokens = responseLength, Seed = 1,
            }.Validate();

            var tokenizer = new CharTokenizer(Alphabet(config.VocabularySize));
            var random = new Random(1);
            var texts = Enumerable.Range(0, count).Select(_ => new string([.. Enumerable.Range(0, promptLength).Select(_ => tokenizer.Alphabet[random.Next(tokenizer.Alphabet.Length)])]));
            // A cheap programmatic reward: the share of the response's characters in the first half of the alphabet.
            char middle = tokenizer.Alphabet[tokenizer.Alphabet.Length / 2];
            var scorer = ResponseScorer.FromFunction((_, response) => response.Length == 0 ? 0 : response.Count(c => c < middle) / (float)response.Length);

            using var model = new GptModel(config, target, seed: 1);
            var adapter = model.AddLoraAdapter("policy", SftMemoryBench.Lora, seed: 1);
            long before = Process.GetCurrentProcess().PeakWorkingSet64;
            using var trainer = new PpoTrainer(model, tokenizer, scorer, PromptSet.FromTexts(texts), options, adapter);
            var seconds = new List<double>();
            PpoProgress? last = null;
            for (int i = 0; i < timed; i++)
            {
                Console.Error.WriteLine($"ppo bench: iteration {i + 1}/{timed}: {count} prompts of {promptLength} tokens, responses of up to {responseLength}");
                last = await trainer.RunIterationAsync(cancellationToken);
                target.Synchronize();
                seconds.Add(last.Duration.TotalSeconds);
            }
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            seconds.Sort();
            var result = new Dictionary<string, object?>
            {
                ["model"] = "gpt2-124M fp32 (random weights), LoRA policy r=8 alpha 16 on c_attn, c_proj, c_fc",
                ["shape"] = BenchFigures.Model(model),
                ["device"] = target.Name,
                ["threads"] = CpuParallel.ThreadCount,
                ["prompts_per_iteration"] = count,
                ["prompt_tokens"] = promptLength,
                ["response_tokens"] = responseLength,
                ["mean_response_tokens"] = Math.Round(last!.MeanResponseLength, 1),
                ["minibatch"] = options.MinibatchSize,
                ["epochs"] = options.EpochsPerIteration,
                ["updates_per_iteration"] = options.EpochsPerIteration * ((count + options.MinibatchSize - 1) / options.MinibatchSize),
                ["iterations"] = timed,
                ["seconds_per_iteration"] = Math.Round(seconds[seconds.Count / 2], 2),
                ["trainable_parameters"] = trainer.Optimizer.Segments.Sum(s => (long)s.Count),
                ["weights_mb"] = Math.Round(model.ParameterCount * sizeof(float) / Mb, 1),
                ["peak_working_set_before_ppo_mb"] = Math.Round(before / Mb, 1),
                ["peak_working_set_mb"] = Math.Round(peak / Mb, 1),
                ["fits_24_gib"] = peak < 24L * 1024 * 1024 * 1024,
                ["note"] = target.Kind == Gpt.Kernels.Devices.DeviceKind.Cpu ? null : "the working set is host memory; weights and activations live on the device",
            };
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["ppo"] = result }));
            return 0;
        });
        return command;
    }

    // The first n characters from '!' on, skipping the surrogate range so each is a whole character on its own.
    private static string Alphabet(int n)
    {
        var builder = new StringBuilder(n);
        for (int c = 0x21; builder.Length < n; c++)
            if (c is < 0xD800 or > 0xDFFF) builder.Append((char)c);
        return builder.ToString();
    }
}

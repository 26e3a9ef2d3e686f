using System.CommandLine;
using Gpt.Sdk.Tokenization;
using System.Text.Json;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt generate</c>: continues a prompt with a trained model. Prints the prompt and the completion
/// (several with <c>--n</c>, each after a header line); <c>--stream</c> writes text as it is generated;
/// <c>--logprobs N</c> adds a table of each token's log-probability and its N likeliest alternatives;
/// <c>--insert-suffix</c> fills the gap between the prompt and the suffix; <c>--json</c> prints the whole
/// result as one JSON object instead; <c>--adapter</c> generates with a LoRA adapter. The finish reason and token
/// counts go to stderr.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue (with --insert-suffix: the text before the gap).", Required = true };
        var stream = new Option<bool>("--stream") { Description = "Write the text as it is generated." };
        var logprobs = new Option<int?>("--logprobs") { Description = "Show each token's log-probability and its N likeliest alternatives." };
        var n = new Option<int>("--n") { Description = "Completions to generate.", DefaultValueFactory = _ => 1 };
        var bestOf = new Option<int?>("--best-of") { Description = "Generate this many and keep the --n with the highest mean log-probability." };
        var suffix = new Option<string>("--insert-suffix") { Description = "Fill in the middle: generate what goes between --prompt and this text." };
        var json = new Option<bool>("--json") { Description = "Print the result (texts, finish reasons, tokens, usage) as JSON." };
        var sampling = new SamplingArguments();
        var device = DeviceOption.Create();
        var weights = WeightsOption.Create();
        var command = new Command("generate", "Generate text from a prompt.") { model, prompt, stream, logprobs, n, bestOf, suffix, json, device, weights };
        sampling.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = DeviceOption.Open(parse, device);
            string folder = parse.GetValue(model)!.FullName;
            var options = sampling.Read(parse) with { Logprobs = parse.GetValue(logprobs), N = parse.GetValue(n), BestOf = parse.GetValue(bestOf) };
            options.Validate();
            bool streaming = parse.GetValue(stream);
            if (streaming && (options.N > 1 || options.BestOf is not null))
                throw new ArgumentException("--stream shows one completion as it is written; drop --n / --best-of, or --stream.");
            if (streaming && parse.GetValue(json)) throw new ArgumentException("--json prints the finished result; drop --stream or --json.");

            var tokenizer = TokenizerFiles.Load(folder);
            using var gpt = GptModel.FromPretrained(folder, target, WeightsOption.Read(parse, weights));
            options = sampling.WithAdapter(parse, gpt, options);
            var generator = new Generator(gpt, tokenizer);
            string text = parse.GetValue(prompt)!;
            string? after = parse.GetValue(suffix);

            GenerationResult result;
            if (streaming && after is null)
            {
                Console.Write(text);
                var completion = new List<TokenLogprob>();
                FinishReason reason = FinishReason.Length;
                await foreach (var chunk in generator.StreamAsync(text, options, cancellationToken))
                {
                    Console.Write(chunk.Text);
                    completion.AddRange(chunk.Tokens);
                    if (chunk.FinishReason is { } finish) reason = finish;
                }
                Console.WriteLine();
                result = new GenerationResult([new Completion(0, "", reason, completion)], new Sdk.Generation.Usage(tokenizer.Encode(text).Length, completion.Count));
                if (options.Logprobs is { } top) WriteLogprobs(result.Completions[0], top);
            }
            else
            {
                result = after is null
                    ? await generator.GenerateAsync(text, options, cancellationToken)
                    : await generator.InsertAsync(text, after, options, cancellationToken);
                if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(ToJson(result)));
                else WriteText(result, text, after, options);
            }
            Console.Error.WriteLine(
                $"[finish: {string.Join(", ", result.Completions.Select(c => c.FinishReason.ToString().ToLowerInvariant()))}; " +
                $"{result.Usage.PromptTokens} prompt + {result.Usage.CompletionTokens} generated tokens]");
            return 0;
        });
        return command;
    }

    private static void WriteText(GenerationResult result, string prompt, string? suffix, GenerationOptions options)
    {
        foreach (var completion in result.Completions)
        {
            if (result.Completions.Count > 1) Console.WriteLine($"--- completion {completion.Index} (mean logprob {completion.MeanLogprob:F3})");
            Console.WriteLine(prompt + completion.Text + suffix);
            if (options.Logprobs is { } top) WriteLogprobs(completion, top);
        }
    }

    private static void WriteLogprobs(Completion completion, int top)
    {
        Console.WriteLine("token\tlogprob" + (top > 0 ? "\talternatives" : ""));
        foreach (var token in completion.Tokens)
        {
            string alternatives = string.Join("  ", token.TopAlternatives.Select(a => $"{JsonSerializer.Serialize(a.Text)} {a.Logprob:F3}"));
            Console.WriteLine($"{JsonSerializer.Serialize(token.Text)}\t{token.Logprob:F3}" + (top > 0 ? "\t" + alternatives : ""));
        }
    }

    private static object ToJson(GenerationResult result) => new Dictionary<string, object>
    {
        ["completions"] = result.Completions.Select(c => new Dictionary<string, object>
        {
            ["index"] = c.Index,
            ["text"] = c.Text,
            ["finish_reason"] = c.FinishReason.ToString().ToLowerInvariant(),
            ["mean_logprob"] = c.MeanLogprob,
            ["tokens"] = c.Tokens.Select(t => new Dictionary<string, object>
            {
                ["id"] = t.TokenId, ["text"] = t.Text, ["logprob"] = t.Logprob,
                ["top"] = t.TopAlternatives.Select(a => new Dictionary<string, object> { ["id"] = a.TokenId, ["text"] = a.Text, ["logprob"] = a.Logprob }).ToArray(),
            }).ToArray(),
        }).ToArray(),
        ["usage"] = new Dictionary<string, int>
        {
            ["prompt_tokens"] = result.Usage.PromptTokens, ["completion_tokens"] = result.Usage.CompletionTokens, ["total_tokens"] = result.Usage.TotalTokens,
        },
    };
}

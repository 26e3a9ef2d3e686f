using System.CommandLine;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt generate</c>: continues a prompt with a trained model, streaming to stdout.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 200 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0UL };
        var device = DeviceOption.Create();
        var command = new Command("generate", "Generate text from a prompt.") { model, prompt, maxTokens, temperature, topK, seed, device };
        command.SetAction((parse, cancellationToken) =>
        {
            var target = DeviceOption.Open(parse, device);
            string folder = parse.GetValue(model)!.FullName;
            var tokenizer = ModelFolder.LoadTokenizer(folder);
            using var gpt = GptModel.FromPretrained(folder, target);
            var options = new SamplingOptions
            {
                MaxTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), Seed = parse.GetValue(seed),
            };
            string text = parse.GetValue(prompt)!;
            Console.Write(text);
            foreach (string piece in TextGenerator.Generate(gpt, tokenizer, text, options, cancellationToken)) Console.Write(piece);
            Console.WriteLine();
            return Task.FromResult(0);
        });
        return command;
    }
}

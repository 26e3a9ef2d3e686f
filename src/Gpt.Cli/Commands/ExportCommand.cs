using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt export gguf --model DIR --out FILE [--type f32|f16|q8_0]</c>: a model folder as one GGUF file, the format
/// llama.cpp, LLamaSharp and Ollama load (<see cref="GgufExport"/>). Everything is checked before the file is written, and
/// the file appears only once complete, so a refused or interrupted export leaves nothing at <c>--out</c>.
/// </summary>
internal static class ExportCommand
{
    private static readonly Dictionary<string, GgufType> Types = new(StringComparer.Ordinal)
    {
        ["f32"] = GgufType.F32,
        ["f16"] = GgufType.F16,
        ["q8_0"] = GgufType.Q8_0,
    };

    public static Command Create()
    {
        var group = new Command("export", "Write a model in another tool's format.");
        group.Subcommands.Add(CreateGguf());
        return group;
    }

    private static Command CreateGguf()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors and a BPE tokenizer).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The .gguf file to write; its folder must exist.", Required = true };
        var type = new Option<string>("--type")
        {
            Description = "How weight matrices are stored: f32, f16 or q8_0 (biases, norms and positions stay f32).",
            DefaultValueFactory = _ => "f16",
        };
        var command = new Command("gguf", "Export a model folder as a GGUF file for llama.cpp, LLamaSharp and Ollama; prints {\"export_gguf\":{...}} JSON.")
        {
            model, output, type,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string typeName = parse.GetValue(type)!;
            if (!Types.TryGetValue(typeName, out var ggufType))
                throw new ArgumentException($"--type '{typeName}' is not supported; choose one of {string.Join(", ", Types.Keys)}.");
            string folder = parse.GetValue(model)!.FullName, path = parse.GetValue(output)!.FullName;
            if (Directory.Exists(path)) throw new ArgumentException($"--out '{path}' is a folder; give the path of the .gguf file to write.");
            string? outFolder = Path.GetDirectoryName(path);
            if (outFolder is null || !Directory.Exists(outFolder))
                throw new DirectoryNotFoundException($"--out '{path}': the folder '{outFolder}' does not exist; create it first.");

            using var gpt = GptModel.FromPretrained(folder);
            if (TokenizerFiles.Load(folder) is not BpeTokenizer tokenizer)
                throw new NotSupportedException($"the model in '{folder}' uses a character tokenizer; GGUF's GPT-2 tokenizer is byte-level BPE, " +
                    "so only models with a BPE tokenizer (GPT-2's, or one from `gpt tokenizer train`) can be exported.");

            var clock = Stopwatch.StartNew();
            await GgufExport.WriteAsync(gpt, tokenizer, path, ggufType, new LineProgress(), cancellationToken);
            Console.Error.WriteLine();
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["export_gguf"] = new Dictionary<string, object>
                {
                    ["out"] = path,
                    ["type"] = typeName,
                    ["bytes"] = new FileInfo(path).Length,
                    ["parameters"] = gpt.ParameterCount,
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                },
            }));
            return 0;
        });
        return command;
    }

    /// <summary>One stderr line, rewritten as tensors are written.</summary>
    private sealed class LineProgress : IProgress<GgufExportProgress>
    {
        public void Report(GgufExportProgress value) =>
            Console.Error.Write($"\rexporting: {value.TensorsWritten}/{value.TensorCount} tensors ({value.Tensor})".PadRight(72));
    }
}

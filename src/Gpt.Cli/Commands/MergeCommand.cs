using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt merge --model DIR --adapter DIR --out DIR</c>: folds a LoRA adapter into its base model (W + s·B·A) and
/// saves the result as a plain Hugging Face GPT-2 folder (<c>config.json</c>, <c>model.safetensors</c>, and the base
/// folder's tokenizer files), which runs at the base model's cost wherever a GPT-2 loads. <c>--out</c> must be new or
/// empty unless <c>--force</c>, so a finished model is not overwritten by mistake.
/// </summary>
internal static class MergeCommand
{
    // Every file a tokenizer is read from (TokenizerFiles, BpeTokenizer.FromPretrained), and the two Hugging Face
    // keeps beside them, so the merged folder tokenizes as the base does.
    private static readonly string[] TokenizerFileNames =
    [
        CharTokenizer.FileName, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
        "added_tokens.json", "encoder.json", "vocab.bpe", "*.tiktoken",
    ];

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Base model folder (config.json, model.safetensors, tokenizer).", Required = true };
        var adapter = AdapterOption.Create("LoRA adapter folder (PEFT layout) trained on that base.", required: true);
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the merged model; it must be new or empty unless --force.", Required = true };
        var force = new Option<bool>("--force") { Description = "Write into an existing, non-empty --out, replacing files of the same name." };
        var command = new Command("merge", "Fold a LoRA adapter into its base model and save the result as a plain model folder.") { model, adapter, output, force };
        command.SetAction((parse, cancellationToken) =>
        {
            string source = parse.GetValue(model)!.FullName, target = parse.GetValue(output)!.FullName;
            CheckOutput(source, target, parse.GetValue(force));
            using var gpt = GptModel.FromPretrained(source);
            var lora = AdapterOption.Load(gpt, parse.GetValue(adapter)!);
            cancellationToken.ThrowIfCancellationRequested();
            lora.Merge();
            // Written only once the adapter has loaded and merged, so a refused adapter leaves --out untouched.
            gpt.Save(target);
            int copied = CopyTokenizer(source, target);
            Console.Error.WriteLine($"merged: {target} ({gpt.ParameterCount:N0} parameters{(copied > 0 ? $", {copied} tokenizer files" : ", no tokenizer files in the base folder")})");
            return Task.FromResult(0);
        });
        return command;
    }

    private static void CheckOutput(string source, string target, bool force)
    {
        if (string.Equals(Path.TrimEndingDirectorySeparator(source), Path.TrimEndingDirectorySeparator(target), StringComparison.Ordinal))
            throw new ArgumentException($"--out '{target}' is the base model's folder; merging there would overwrite the base. Choose another folder.");
        if (File.Exists(target)) throw new ArgumentException($"--out '{target}' is a file; give a folder for the merged model.");
        if (!force && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new ArgumentException($"--out '{target}' already exists and is not empty; choose a new folder, or pass --force to write the merged model into it.");
    }

    private static int CopyTokenizer(string source, string target)
    {
        int copied = 0;
        foreach (string pattern in TokenizerFileNames)
        {
            foreach (string file in Directory.EnumerateFiles(source, pattern))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
                copied++;
            }
        }

        return copied;
    }
}

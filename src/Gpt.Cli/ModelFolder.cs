using Gpt.Sdk.Tokenization;

namespace Gpt.Cli;

/// <summary>Finds the tokenizer saved beside a model.</summary>
internal static class ModelFolder
{
    public static ITokenizer LoadTokenizer(string directory)
    {
        if (File.Exists(Path.Combine(directory, CharTokenizer.FileName))) return CharTokenizer.Load(directory);
        throw new FileNotFoundException(
            $"no tokenizer found in '{directory}': expected {CharTokenizer.FileName} (written by 'gpt train').");
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Cli;

/// <summary>Finds the tokenizer saved beside a model: the character tokenizer of <c>gpt train</c>,
/// or any GPT-2 BPE format (Hugging Face, OpenAI, tiktoken).</summary>
internal static class ModelFolder
{
    public static ITokenizer LoadTokenizer(string directory)
    {
        if (File.Exists(Path.Combine(directory, CharTokenizer.FileName))) return CharTokenizer.Load(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder '{directory}' does not exist.");
        return BpeTokenizer.FromPretrained(directory);
    }
}

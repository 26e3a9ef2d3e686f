namespace Gpt.Sdk.Tokenization;

/// <summary>Loads whichever tokenizer a model folder holds.</summary>
public static class TokenizerFiles
{
    /// <summary>The character tokenizer (<c>chars.json</c>, written by <c>gpt train</c>) when present,
    /// otherwise GPT-2 BPE in any supported format (see <see cref="BpeTokenizer.FromPretrained"/>).</summary>
    /// <param name="directory">A model folder.</param>
    public static ITokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder '{directory}' does not exist.");
        return File.Exists(Path.Combine(directory, CharTokenizer.FileName)) ? CharTokenizer.Load(directory) : BpeTokenizer.FromPretrained(directory);
    }
}

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// The tokenizer half of a model folder: <see cref="Load"/> opens whichever tokenizer a folder holds and
/// <see cref="Save"/> writes one so that <see cref="Load"/> opens it again. <c>GptModel.Save(folder, tokenizer)</c>
/// writes the whole folder through <see cref="Save"/>.
/// </summary>
public static class TokenizerFiles
{
    // Every set of files that serves as a folder's tokenizer, in the order Load tries them (the character
    // tokenizer first, then BpeTokenizer.FromPretrained's order); error messages list them from here.
    private static readonly string[][] s_alternatives =
    [
        [CharTokenizer.FileName],
        [HuggingFaceFormat.TokenizerFile],
        [HuggingFaceFormat.VocabularyFile, HuggingFaceFormat.MergesFile],
        [BpeTokenizer.OpenAiEncoderFile, BpeTokenizer.OpenAiMergesFile],
        ["*" + TiktokenFormat.Extension],
    ];

    /// <summary>The character tokenizer (<c>chars.json</c>) when present, otherwise GPT-2 BPE in any supported format
    /// (see <see cref="BpeTokenizer.FromPretrained"/>).</summary>
    /// <param name="directory">A model folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no tokenizer; the message lists every file that would have served.</exception>
    public static ITokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder '{directory}' does not exist.");
        if (File.Exists(Path.Combine(directory, CharTokenizer.FileName))) return CharTokenizer.Load(directory);
        return BpeTokenizer.LoadFolder(directory) ?? throw new FileNotFoundException(MissingMessage(directory));
    }

    /// <summary>
    /// Writes <paramref name="tokenizer"/> into <paramref name="directory"/> so that <see cref="Load"/> reads it back:
    /// a <see cref="BpeTokenizer"/> in the Hugging Face format (<c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer.json</c>),
    /// a <see cref="CharTokenizer"/> as <c>chars.json</c>. A <c>chars.json</c> left in the folder by an earlier save is
    /// deleted when a BPE tokenizer is written, since <see cref="Load"/> would open it first.
    /// </summary>
    /// <param name="tokenizer">A <see cref="BpeTokenizer"/> or a <see cref="CharTokenizer"/>.</param>
    /// <param name="directory">The folder; created if missing.</param>
    /// <exception cref="NotSupportedException">Another kind of tokenizer: it has no file format here.</exception>
    public static void Save(ITokenizer tokenizer, string directory)
    {
        EnsureSavable(tokenizer, nameof(tokenizer));
        ArgumentException.ThrowIfNullOrEmpty(directory);
        switch (tokenizer)
        {
            case CharTokenizer chars:
                chars.Save(directory);
                break;
            case BpeTokenizer bpe:
                bpe.Save(directory);
                File.Delete(Path.Combine(directory, CharTokenizer.FileName));
                break;
        }
    }

    /// <summary>Throws unless <see cref="Save"/> can write <paramref name="tokenizer"/>, so a caller can refuse before
    /// doing any work whose result it could not save.</summary>
    internal static void EnsureSavable(ITokenizer tokenizer, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(tokenizer, parameterName);
        if (tokenizer is not (BpeTokenizer or CharTokenizer))
            throw new NotSupportedException(
                $"a {tokenizer.GetType().Name} cannot be saved: only {nameof(BpeTokenizer)} and {nameof(CharTokenizer)} have a file format here. " +
                $"Write its files into the folder yourself (any of {Alternatives()}) and save the model with GptModel.Save(folder) alone.");
    }

    /// <summary>Null when <paramref name="directory"/> holds a tokenizer <see cref="Load"/> would try, otherwise the
    /// message that says what was looked for and how to add one.</summary>
    internal static string? Missing(string directory)
    {
        foreach (string[] files in s_alternatives)
            if (files.All(f => Directory.EnumerateFiles(directory, f).Any())) return null;
        return MissingMessage(directory);
    }

    private static string MissingMessage(string directory) =>
        $"no tokenizer in '{directory}': looked for {Alternatives()}. A folder written by GptModel.Save(folder) holds only " +
        "config.json and model.safetensors; save the model with its tokenizer, GptModel.Save(folder, tokenizer), " +
        "or put the tokenizer's files into the folder.";

    private static string Alternatives()
    {
        var sets = s_alternatives.Select(files => string.Join(" + ", files)).ToArray();
        return string.Join(", ", sets[..^1]) + " or " + sets[^1];
    }
}

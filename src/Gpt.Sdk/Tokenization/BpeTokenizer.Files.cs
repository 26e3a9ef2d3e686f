namespace Gpt.Sdk.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>OpenAI's names of GPT-2's vocabulary and merges files.</summary>
    internal const string OpenAiEncoderFile = "encoder.json", OpenAiMergesFile = "vocab.bpe";

    /// <summary>
    /// Loads a tokenizer from a folder holding any supported files, or from one file. A folder is
    /// searched in this order: <c>tokenizer.json</c>; <c>vocab.json</c> + <c>merges.txt</c> (with
    /// <c>added_tokens.json</c> if present); <c>encoder.json</c> + <c>vocab.bpe</c>; a single
    /// <c>*.tiktoken</c> file. A file is read by its name: <c>*.tiktoken</c> or <c>*.json</c> (a tokenizer.json).
    /// </summary>
    /// <param name="path">A folder such as a Hugging Face model download, or a tokenizer file.</param>
    /// <exception cref="FileNotFoundException">Nothing that can be loaded is there.</exception>
    /// <exception cref="TokenizerFormatException">A file is malformed; the message names the file and line.</exception>
    public static BpeTokenizer FromPretrained(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            if (path.EndsWith(TiktokenFormat.Extension, StringComparison.OrdinalIgnoreCase)) return LoadTiktoken(path);
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return LoadTokenizerJson(path);
            throw new ArgumentException($"'{path}' is neither a .tiktoken rank file nor a tokenizer.json; pass the folder that holds the tokenizer files.", nameof(path));
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"'{path}' is neither a folder nor a file.");
        return LoadFolder(path) ?? throw new FileNotFoundException(
            $"no BPE tokenizer in '{path}': looked for tokenizer.json, vocab.json + merges.txt, {OpenAiEncoderFile} + {OpenAiMergesFile} and *.tiktoken. " +
            $"A model folder may hold a character tokenizer ({CharTokenizer.FileName}) instead: TokenizerFiles.Load opens either.");
    }

    /// <summary>Loads the first BPE tokenizer found in an existing folder (in <see cref="FromPretrained"/>'s order), or returns null
    /// when none is there, so each caller can say what it looked for.</summary>
    internal static BpeTokenizer? LoadFolder(string path)
    {
        string Find(string name) => Path.Combine(path, name);
        if (File.Exists(Find(HuggingFaceFormat.TokenizerFile))) return LoadTokenizerJson(Find(HuggingFaceFormat.TokenizerFile));
        if (File.Exists(Find(HuggingFaceFormat.VocabularyFile)) && File.Exists(Find(HuggingFaceFormat.MergesFile)))
        {
            string added = Find(HuggingFaceFormat.AddedTokensFile);
            return LoadHuggingFace(Find(HuggingFaceFormat.VocabularyFile), Find(HuggingFaceFormat.MergesFile), File.Exists(added) ? added : null);
        }
        if (File.Exists(Find(OpenAiEncoderFile)) && File.Exists(Find(OpenAiMergesFile))) return LoadOpenAi(Find(OpenAiEncoderFile), Find(OpenAiMergesFile));
        string[] rankFiles = Directory.GetFiles(path, "*" + TiktokenFormat.Extension);
        if (rankFiles.Length == 1) return LoadTiktoken(rankFiles[0]);
        if (rankFiles.Length > 1)
            throw new ArgumentException($"'{path}' holds {rankFiles.Length} .tiktoken files; pass the one to load.", nameof(path));
        return null;
    }

    /// <summary>Loads Hugging Face's <c>vocab.json</c> + <c>merges.txt</c>.</summary>
    /// <param name="vocabularyPath">The <c>vocab.json</c> file: token spelling → id.</param>
    /// <param name="mergesPath">The <c>merges.txt</c> file: one merge per line, in rank order.</param>
    /// <param name="addedTokensPath">Optional <c>added_tokens.json</c>: special token text → id.</param>
    public static BpeTokenizer LoadHuggingFace(string vocabularyPath, string mergesPath, string? addedTokensPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesPath);
        var vocabulary = HuggingFaceFormat.ReadVocabularyJson(vocabularyPath);
        var merges = HuggingFaceFormat.ReadMerges(mergesPath);
        var added = addedTokensPath is null ? [] : HuggingFaceFormat.ReadVocabularyJson(addedTokensPath);
        return MergeVocabularyBuilder.Build(vocabulary, vocabularyPath, merges, mergesPath, added, addedTokensPath ?? vocabularyPath);
    }

    /// <summary>Loads OpenAI's GPT-2 files <c>encoder.json</c> + <c>vocab.bpe</c> (the same formats as <see cref="LoadHuggingFace"/>).</summary>
    /// <param name="encoderPath">The <c>encoder.json</c> file.</param>
    /// <param name="vocabBpePath">The <c>vocab.bpe</c> file.</param>
    public static BpeTokenizer LoadOpenAi(string encoderPath, string vocabBpePath) => LoadHuggingFace(encoderPath, vocabBpePath);

    /// <summary>Loads a Hugging Face <c>tokenizer.json</c> whose model is BPE with GPT-2's byte-level pre-tokenizer.</summary>
    /// <param name="path">The <c>tokenizer.json</c> file.</param>
    public static BpeTokenizer LoadTokenizerJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (vocabulary, merges, added) = HuggingFaceFormat.ReadTokenizerJson(path);
        return MergeVocabularyBuilder.Build(vocabulary, path, merges, path, added, path);
    }

    /// <summary>
    /// Loads a tiktoken rank file. Such files hold no special tokens: pass them, or get GPT-2's
    /// <c>&lt;|endoftext|&gt;</c> right after the last rank (50256 for <c>r50k_base</c>).
    /// </summary>
    /// <param name="path">The <c>.tiktoken</c> file: base64 token, space, rank, per line.</param>
    /// <param name="specialTokens">Special token texts and ids; null for <c>&lt;|endoftext|&gt;</c> after the last rank.</param>
    public static BpeTokenizer LoadTiktoken(string path, IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[]?[] tokens = TiktokenFormat.Read(path);
        specialTokens ??= new Dictionary<string, int> { [WellKnownSpecialTokens.EndOfText] = tokens.Length };
        return new BpeTokenizer(tokens, merges: null, specialTokens);
    }

    /// <summary>
    /// Saves the tokenizer in the Hugging Face format: <c>vocab.json</c>, <c>merges.txt</c> and
    /// <c>tokenizer.json</c>, each written whole or not at all. <see cref="FromPretrained"/> reads it back.
    /// </summary>
    /// <param name="directory">The folder to write to; created if missing.</param>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        HuggingFaceFormat.Write(directory, OrdinaryTokens(), MergesInRankOrder(), _specialTokens);
    }

    /// <summary>Saves the ordinary tokens as a tiktoken rank file (rank = id); special tokens are not part of that format.</summary>
    /// <param name="path">The <c>.tiktoken</c> file to write.</param>
    public void SaveTiktoken(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        TiktokenFormat.Write(path, OrdinaryTokens());
    }

    // A rank-ordered vocabulary has no merge list; recover each token's merge by running BPE on its
    // bytes with only the earlier ranks: it stops at the two tokens that make it.
    internal IReadOnlyList<BpeMerge> MergesInRankOrder()
    {
        if (_merges is not null) return _merges;
        var merges = new List<BpeMerge>();
        var ids = new int[256];
        for (int id = 0; id < VocabularySize; id++)
        {
            if (_tokenKinds[id] != Ordinary) continue;
            ReadOnlySpan<byte> bytes = GetTokenBytes(id);
            if (bytes.Length < 2) continue;
            if (ids.Length < bytes.Length) ids = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) ids[i] = _byteToId[bytes[i]];
            if (BytePairMerger.Merge(_mergeTable, ids.AsSpan(0, bytes.Length), maxRank: id) == 2)
                merges.Add(new BpeMerge(ids[0], ids[1], id));
        }
        return merges;
    }
}

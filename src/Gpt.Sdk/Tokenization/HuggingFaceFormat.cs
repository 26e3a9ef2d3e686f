using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// Reads and writes Hugging Face's byte-level BPE files: <c>vocab.json</c> (token spelling → id),
/// <c>merges.txt</c> (one merge per line, in rank order) and <c>tokenizer.json</c> (both, plus added
/// tokens and the pipeline). OpenAI's <c>encoder.json</c> and <c>vocab.bpe</c> are the same two formats.
/// </summary>
internal static class HuggingFaceFormat
{
    public const string VocabularyFile = "vocab.json", MergesFile = "merges.txt", TokenizerFile = "tokenizer.json",
        AddedTokensFile = "added_tokens.json";

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep 'Ġ' readable instead of \u0120
    };

    /// <summary>A JSON object of spelling → id (<c>vocab.json</c>, <c>encoder.json</c>, <c>added_tokens.json</c>).</summary>
    public static List<VocabularyEntry> ReadVocabularyJson(string path)
    {
        byte[] json = ReadFile(path);
        var reader = new LineTrackingJsonReader(json, path);
        reader.Read(JsonTokenType.StartObject, "a JSON object of token → id");
        return ReadVocabularyObject(ref reader);
    }

    public static List<MergeEntry> ReadMerges(string path)
    {
        var merges = new List<MergeEntry>();
        int lineNumber = 0;
        foreach (string line in ReadLines(path))
        {
            lineNumber++;
            if ((lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) || string.IsNullOrWhiteSpace(line)) continue;
            merges.Add(ParseMerge(line, path, lineNumber));
        }
        return merges;
    }

    /// <summary>The BPE model and added tokens of a <c>tokenizer.json</c>; refuses other models and pre-tokenizers.</summary>
    public static (List<VocabularyEntry> Vocabulary, List<MergeEntry> Merges, List<VocabularyEntry> AddedTokens) ReadTokenizerJson(string path)
    {
        byte[] json = ReadFile(path);
        var reader = new LineTrackingJsonReader(json, path);
        List<VocabularyEntry>? vocabulary = null;
        List<MergeEntry>? merges = null;
        var added = new List<VocabularyEntry>();

        reader.Read(JsonTokenType.StartObject, "a JSON object");
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("model")) (vocabulary, merges) = ReadModel(ref reader);
            else if (reader.ValueTextEquals("added_tokens")) ReadAddedTokens(ref reader, added);
            else if (reader.ValueTextEquals("pre_tokenizer")) CheckPreTokenizer(ref reader);
            else reader.SkipValue();
        }
        if (vocabulary is null || merges is null)
            throw new TokenizerFormatException(path, null, "no \"model\" with \"vocab\" and \"merges\"; is this a BPE tokenizer.json?");
        return (vocabulary, merges, added);
    }

    /// <summary>Writes <c>vocab.json</c>, <c>merges.txt</c> and <c>tokenizer.json</c> into <paramref name="directory"/>.</summary>
    public static void Write(string directory, IReadOnlyList<byte[]?> tokens, IReadOnlyList<BpeMerge> merges,
        IReadOnlyDictionary<string, int> specialTokens)
    {
        var spellings = new string?[Math.Max(tokens.Count, specialTokens.Count == 0 ? 0 : specialTokens.Values.Max() + 1)];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
            if (tokens[id] is { } bytes) used.Add(spellings[id] = ByteLevelAlphabet.ToText(bytes));
        foreach (var (text, id) in specialTokens)
        {
            if (!used.Add(text))
                throw new InvalidOperationException($"special token '{text}' is spelled like an ordinary token; vocab.json cannot hold both.");
            spellings[id] = text;
        }

        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, VocabularyFile), stream =>
        {
            using var writer = new Utf8JsonWriter(stream, s_writerOptions);
            WriteVocabulary(writer, spellings);
        });
        WriteAtomically(Path.Combine(directory, MergesFile), stream =>
        {
            using var writer = new StreamWriter(stream, ByteLevelAlphabet.StrictUtf8) { NewLine = "\n" };
            writer.WriteLine("#version: 0.2");
            foreach (var merge in merges) writer.WriteLine($"{spellings[merge.Left]} {spellings[merge.Right]}");
        });
        WriteAtomically(Path.Combine(directory, TokenizerFile), stream =>
        {
            using var writer = new Utf8JsonWriter(stream, s_writerOptions);
            WriteTokenizerJson(writer, spellings, merges, specialTokens);
        });
    }

    private static void WriteVocabulary(Utf8JsonWriter writer, string?[] spellings)
    {
        writer.WriteStartObject();
        for (int id = 0; id < spellings.Length; id++)
            if (spellings[id] is { } spelling) writer.WriteNumber(spelling, id);
        writer.WriteEndObject();
    }

    // The pipeline Hugging Face uses for GPT-2: byte-level pre-tokenizer, decoder and post-processor
    // around a BPE model with no unknown token.
    private static void WriteTokenizerJson(Utf8JsonWriter writer, string?[] spellings, IReadOnlyList<BpeMerge> merges,
        IReadOnlyDictionary<string, int> specialTokens)
    {
        writer.WriteStartObject();
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");
        writer.WriteStartArray("added_tokens");
        foreach (var (text, id) in specialTokens.OrderBy(pair => pair.Value))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("content", text);
            writer.WriteBoolean("single_word", false);
            writer.WriteBoolean("lstrip", false);
            writer.WriteBoolean("rstrip", false);
            writer.WriteBoolean("normalized", false);
            writer.WriteBoolean("special", true);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNull("normalizer");
        WriteByteLevel(writer, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
        WriteByteLevel(writer, "post_processor", addPrefixSpace: true, trimOffsets: false);
        WriteByteLevel(writer, "decoder", addPrefixSpace: true, trimOffsets: true);
        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteNull("unk_token");
        writer.WriteString("continuing_subword_prefix", "");
        writer.WriteString("end_of_word_suffix", "");
        writer.WriteBoolean("fuse_unk", false);
        writer.WriteBoolean("byte_fallback", false);
        writer.WriteBoolean("ignore_merges", false);
        writer.WritePropertyName("vocab");
        WriteVocabulary(writer, spellings);
        writer.WriteStartArray("merges");
        foreach (var merge in merges) writer.WriteStringValue($"{spellings[merge.Left]} {spellings[merge.Right]}");
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter writer, string name, bool addPrefixSpace, bool trimOffsets)
    {
        writer.WriteStartObject(name);
        writer.WriteString("type", "ByteLevel");
        writer.WriteBoolean("add_prefix_space", addPrefixSpace);
        writer.WriteBoolean("trim_offsets", trimOffsets);
        writer.WriteBoolean("use_regex", true);
        writer.WriteEndObject();
    }

    private static (List<VocabularyEntry>, List<MergeEntry>) ReadModel(ref LineTrackingJsonReader reader)
    {
        List<VocabularyEntry>? vocabulary = null;
        var merges = new List<MergeEntry>();
        reader.Read(JsonTokenType.StartObject, "\"model\" as an object");
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"))
            {
                reader.Read(JsonTokenType.String, "the model type");
                if (!reader.ValueTextEquals("BPE")) throw reader.Error($"the model is '{reader.GetString()}'; only BPE models can be loaded.");
            }
            else if (reader.ValueTextEquals("vocab"))
            {
                reader.Read(JsonTokenType.StartObject, "\"vocab\" as an object of token → id");
                vocabulary = ReadVocabularyObject(ref reader);
            }
            else if (reader.ValueTextEquals("merges"))
            {
                reader.Read(JsonTokenType.StartArray, "\"merges\" as an array");
                ReadMergeArray(ref reader, merges);
            }
            else if (reader.ValueTextEquals("continuing_subword_prefix") || reader.ValueTextEquals("end_of_word_suffix"))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.GetString().Length > 0)
                    throw reader.Error("word prefixes and suffixes are not byte-level BPE; this tokenizer cannot be loaded.");
            }
            else reader.SkipValue();
        }
        return (vocabulary ?? throw reader.Error("the model has no \"vocab\"."), merges);
    }

    private static void ReadMergeArray(ref LineTrackingJsonReader reader, List<MergeEntry> merges)
    {
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray) return;
            int line = reader.Line;
            if (reader.TokenType == JsonTokenType.String)
            {
                merges.Add(ParseMerge(reader.GetString(), reader.FileName, line));
                continue;
            }
            reader.Expect(JsonTokenType.StartArray, "a merge as \"left right\" or [\"left\", \"right\"]");
            reader.Read(JsonTokenType.String, "the merge's left token");
            string left = reader.GetString();
            reader.Read(JsonTokenType.String, "the merge's right token");
            string right = reader.GetString();
            reader.Read(JsonTokenType.EndArray, "the end of a two-token merge");
            merges.Add(new MergeEntry(left, right, line));
        }
    }

    private static void ReadAddedTokens(ref LineTrackingJsonReader reader, List<VocabularyEntry> added)
    {
        reader.Read(JsonTokenType.StartArray, "\"added_tokens\" as an array");
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray) return;
            reader.Expect(JsonTokenType.StartObject, "an added token object");
            int line = reader.Line;
            int? id = null;
            string? content = null;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("id"))
                {
                    reader.Read();
                    id = reader.GetInt32("an added token's id");
                }
                else if (reader.ValueTextEquals("content"))
                {
                    reader.Read(JsonTokenType.String, "an added token's content");
                    content = reader.GetString();
                }
                else reader.SkipValue();
            }
            if (id is null || string.IsNullOrEmpty(content))
                throw new TokenizerFormatException(reader.FileName, line, "an added token needs an \"id\" and a non-empty \"content\".");
            added.Add(new VocabularyEntry(content, id.Value, line));
        }
    }

    private static void CheckPreTokenizer(ref LineTrackingJsonReader reader)
    {
        reader.Read(JsonTokenType.StartObject, "\"pre_tokenizer\" as an object (GPT-2 uses ByteLevel)");
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"))
            {
                reader.Read(JsonTokenType.String, "the pre-tokenizer type");
                if (!reader.ValueTextEquals("ByteLevel"))
                    throw reader.Error($"the pre-tokenizer is '{reader.GetString()}'; only GPT-2's ByteLevel pre-tokenizer is supported.");
            }
            else if (reader.ValueTextEquals("add_prefix_space"))
            {
                reader.Read();
                if (reader.GetBoolean("add_prefix_space"))
                    throw reader.Error("add_prefix_space is true; GPT-2 does not add a space before the text, and this tokenizer does not either.");
            }
            else if (reader.ValueTextEquals("use_regex"))
            {
                reader.Read();
                if (!reader.GetBoolean("use_regex")) throw reader.Error("use_regex is false; GPT-2 splits text with its pattern before BPE.");
            }
            else reader.SkipValue();
        }
    }

    private static List<VocabularyEntry> ReadVocabularyObject(ref LineTrackingJsonReader reader)
    {
        var entries = new List<VocabularyEntry>();
        while (NextProperty(ref reader))
        {
            string text = reader.GetString();
            int line = reader.Line;
            reader.Read();
            entries.Add(new VocabularyEntry(text, reader.GetInt32($"the id of '{text}'"), line));
        }
        return entries;
    }

    /// <summary>Moves to the next property name of the current object; false at its end.</summary>
    private static bool NextProperty(ref LineTrackingJsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndObject) return false;
        reader.Expect(JsonTokenType.PropertyName, "a property name");
        return true;
    }

    private static MergeEntry ParseMerge(string text, string path, int line) =>
        TrySplitMerge(text, line) ?? throw new TokenizerFormatException(path, line, $"expected two tokens separated by one space, found '{text}'.");

    private static MergeEntry? TrySplitMerge(string text, int line)
    {
        int space = text.IndexOf(' ');
        if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0) return null;
        return new MergeEntry(text[..space], text[(space + 1)..], line);
    }

    internal static byte[] ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file '{path}' does not exist.", path);
        return File.ReadAllBytes(path);
    }

    internal static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file '{path}' does not exist.", path);
        return File.ReadLines(path, System.Text.Encoding.UTF8);
    }

    /// <summary>Writes to a temporary file and renames it, so a failed save leaves the old file whole.</summary>
    internal static void WriteAtomically(string path, Action<Stream> write)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            write(stream);
        File.Move(temporary, path, overwrite: true);
    }
}

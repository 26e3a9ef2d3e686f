using System.Text;
using System.Text.Json;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// One token per distinct character (UTF-16 code unit) of a corpus, ids in ordinal order: the
/// tokenizer of the classic character-level "baby GPT". Saved as <c>chars.json</c>.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    /// <summary>File name used by <see cref="Save"/> and <see cref="Load"/> inside a model folder.</summary>
    public const string FileName = "chars.json";

    private readonly string _alphabet;
    private readonly Dictionary<char, int> _ids;

    /// <summary>Creates a tokenizer over the given characters, in the given order.</summary>
    /// <param name="alphabet">Distinct characters; the i-th gets id i.</param>
    public CharTokenizer(string alphabet)
    {
        ArgumentException.ThrowIfNullOrEmpty(alphabet);
        _ids = new Dictionary<char, int>(alphabet.Length);
        for (int i = 0; i < alphabet.Length; i++)
            if (!_ids.TryAdd(alphabet[i], i))
                throw new ArgumentException($"character U+{(int)alphabet[i]:X4} appears twice in the alphabet.", nameof(alphabet));
        _alphabet = alphabet;
    }

    /// <summary>The characters, in id order.</summary>
    public string Alphabet => _alphabet;

    /// <inheritdoc />
    public int VocabularySize => _alphabet.Length;

    /// <summary>Builds the tokenizer of every distinct character in <paramref name="corpus"/>, sorted ordinally.</summary>
    /// <param name="corpus">The training text.</param>
    public static CharTokenizer FromCorpus(string corpus)
    {
        ArgumentException.ThrowIfNullOrEmpty(corpus);
        var chars = corpus.Distinct().ToArray();
        Array.Sort(chars);
        return new CharTokenizer(new string(chars));
    }

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out ids[i]))
                throw new ArgumentException(
                    $"character '{text[i]}' (U+{(int)text[i]:X4}) at position {i} is not in this tokenizer's {VocabularySize}-character alphabet.", nameof(text));
        }

        return ids;
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_alphabet.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {VocabularySize} characters.");
            builder.Append(_alphabet[id]);
        }

        return builder.ToString();
    }

    /// <summary>Writes <c>chars.json</c> (<c>{"type":"char","alphabet":"..."}</c>) into <paramref name="directory"/>.</summary>
    /// <param name="directory">Target folder (created if needed).</param>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        string json = JsonSerializer.Serialize(new Dictionary<string, string> { ["type"] = "char", ["alphabet"] = _alphabet });
        IO.AtomicFile.Write(Path.Combine(directory, FileName), stream => stream.Write(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>Reads the tokenizer saved in <paramref name="directory"/>.</summary>
    /// <param name="directory">A folder holding <c>chars.json</c>.</param>
    public static CharTokenizer Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' has no {FileName}.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("alphabet", out var alphabet) || alphabet.GetString() is not { Length: > 0 } text)
                throw new IO.ModelFileException(path, $"{FileName} has no non-empty \"alphabet\" string.");
            return new CharTokenizer(text);
        }
        catch (JsonException e)
        {
            throw new IO.ModelFileException(path, $"{FileName} is not valid JSON: {e.Message}", innerException: e);
        }
    }
}

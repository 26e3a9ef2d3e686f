using System.IO.Compression;
using System.Text.Json;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>One case of tiktoken's golden ids (tools/tokenizer-reference/make-goldens.js).</summary>
public sealed record GoldenCase(int Line, string Text, bool AllowSpecial, int[] Ids)
{
    /// <summary>True when the text has no lone surrogate, so decoding gives it back unchanged.</summary>
    public bool IsWellFormed => !System.Text.Unicode.Utf8.FromUtf16(Text, new byte[Text.Length * 3], out _, out _, replaceInvalidSequences: false)
        .Equals(System.Buffers.OperationStatus.InvalidData);

    public override string ToString() => $"goldens line {Line}";
}

/// <summary>GPT-2's tokenizer and the golden cases, loaded once for all tokenizer tests.</summary>
public static class Gpt2Fixture
{
    public static string DataFolder { get; } = Path.Combine(AppContext.BaseDirectory, "Tokenization", "Data");

    public static string Gpt2Folder { get; } = Path.Combine(DataFolder, "gpt2");

    private static readonly Lazy<BpeTokenizer> s_tokenizer = new(() => BpeTokenizer.FromPretrained(Gpt2Folder));
    private static readonly Lazy<IReadOnlyList<GoldenCase>> s_goldens = new(ReadGoldens);

    /// <summary>GPT-2 loaded from OpenAI's encoder.json + vocab.bpe. Shared: the tokenizer is thread-safe and immutable.</summary>
    public static BpeTokenizer Tokenizer => s_tokenizer.Value;

    public static IReadOnlyList<GoldenCase> Goldens => s_goldens.Value;

    private static IReadOnlyList<GoldenCase> ReadGoldens()
    {
        using var file = File.OpenRead(Path.Combine(DataFolder, "goldens.jsonl.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var cases = new List<GoldenCase>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            string text = root.TryGetProperty("text", out var t)
                ? t.GetString()!
                : new string(root.GetProperty("units").EnumerateArray().Select(u => (char)u.GetInt32()).ToArray());
            bool allowSpecial = root.TryGetProperty("allowSpecial", out var a) && a.GetBoolean();
            int[] ids = root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            cases.Add(new GoldenCase(lineNumber, text, allowSpecial, ids));
        }
        return cases;
    }
}

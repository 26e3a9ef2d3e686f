using System.Text;
using BenchmarkDotNet.Attributes;
using Gpt.Sdk.Tokenization;

namespace Gpt.Benchmarks.Tokenization;

/// <summary>
/// GPT-2 tokenizer throughput on one text, single thread: encode (warm and cold piece cache), count,
/// decode. The text is the file in GPT_TOKENIZER_CORPUS (e.g. the ~10 MB corpus made by
/// tools/tokenizer-reference/make-bench-corpus.js), or else 2 MB of generated mixed text. The
/// vocabulary is GPT_TOKENIZER (a folder or .tiktoken file), or else the committed test copy of GPT-2's.
/// Run: <c>dotnet run -c Release --project tests/Gpt.Benchmarks -- --filter '*Tokenizer*'</c>.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private BpeTokenizer _tokenizer = null!;
    private string _text = null!;
    private int[] _ids = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_tokenizer, _text) = (TokenizerBenchmarkData.LoadTokenizer(), TokenizerBenchmarkData.LoadText());
        _ids = _tokenizer.Encode(_text);
        Console.WriteLine($"// corpus: {Encoding.UTF8.GetByteCount(_text):N0} bytes, {_ids.Length:N0} tokens");
    }

    [Benchmark(Description = "Encode, warm cache")]
    public int[] Encode() => _tokenizer.Encode(_text);

    [Benchmark(Description = "Encode, new tokenizer (cold cache)")]
    public int[] EncodeCold() => TokenizerBenchmarkData.LoadTokenizer().Encode(_text);

    [Benchmark]
    public int CountTokens() => _tokenizer.CountTokens(_text);

    [Benchmark]
    public string Decode() => _tokenizer.Decode(_ids);
}

/// <summary>Batch encoding of the same text cut into documents of 64 lines, at 1 and 2 threads.</summary>
[MemoryDiagnoser]
public class TokenizerBatchBenchmarks
{
    private BpeTokenizer _tokenizer = null!;
    private string[] _documents = null!;

    /// <summary>Threads for <see cref="EncodeBatch"/>.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = TokenizerBenchmarkData.LoadTokenizer();
        _documents = TokenizerBenchmarkData.LoadText().Split('\n').Chunk(64).Select(lines => string.Join('\n', lines)).ToArray();
        _tokenizer.EncodeBatch(_documents); // warm the piece cache
    }

    [Benchmark]
    public int[][] EncodeBatch() => _tokenizer.EncodeBatch(_documents, maxDegreeOfParallelism: Threads);
}

internal static class TokenizerBenchmarkData
{
    public static BpeTokenizer LoadTokenizer() => BpeTokenizer.FromPretrained(Environment.GetEnvironmentVariable("GPT_TOKENIZER") ?? FindTestVocabulary());

    public static string LoadText() =>
        Environment.GetEnvironmentVariable("GPT_TOKENIZER_CORPUS") is { } corpus ? File.ReadAllText(corpus) : GeneratedText(2_000_000);

    private static string FindTestVocabulary()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "tests", "Gpt.Sdk.Tests", "Tokenization", "Data", "gpt2");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("GPT-2's test vocabulary was not found above the benchmark folder; set GPT_TOKENIZER.");
    }

    // Prose-like words from syllables, numbers, code punctuation and some other scripts; seeded.
    private static string GeneratedText(int chars)
    {
        string[] syllables = ["ka", "lo", "mi", "ter", "an", "vel", "or", "is", "tion", "ing", "pre", "con", "th", "ou"];
        string[] other = ["日本語", "한국어", "العربية", "हिन्दी", "👍🏽", "—", "(x);", "{ }", "\n    ", "\n\n", "\n", "'s", "'ll", "42", "3.14"];
        var random = new Random(1234);
        var text = new StringBuilder(chars + 64);
        while (text.Length < chars)
        {
            text.Append(' ');
            if (random.Next(6) == 0) text.Append(other[random.Next(other.Length)]);
            else for (int s = random.Next(1, 4); s > 0; s--) text.Append(syllables[random.Next(syllables.Length)]);
        }
        return text.ToString();
    }
}

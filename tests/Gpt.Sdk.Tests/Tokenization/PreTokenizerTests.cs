using System.Text.RegularExpressions;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>The hand-written scanner against GPT-2's pattern run by .NET's regex engine.</summary>
public sealed class PreTokenizerTests
{
    // .NET's regex engine matches UTF-16 units, not code points, so it is a faithful reference only for
    // text without surrogates; astral characters are covered by the tiktoken goldens instead.
    private static readonly Regex s_gpt2Pattern = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant);

    internal static List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        for (int start = 0, end; start < text.Length; start = end)
        {
            end = Gpt2PreTokenizer.PieceEnd(text, start);
            pieces.Add(text[start..end]);
        }
        return pieces;
    }

    private static List<string> RegexPieces(string text) => s_gpt2Pattern.Matches(text).Select(m => m.Value).ToList();

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("  a", new[] { " ", " a" })]
    [InlineData("a  \n b", new[] { "a", "  \n", " b" })]
    [InlineData("a   ", new[] { "a", "   " })]
    [InlineData("don't I'M we'll", new[] { "don", "'t", " I", "'", "M", " we", "'ll" })]
    [InlineData("''s 's' x", new[] { "''", "s", " '", "s", "'", " x" })]
    [InlineData("abc123 4!!?", new[] { "abc", "123", " 4", "!!?" })]
    [InlineData("\t\tx\n\n", new[] { "\t", "\t", "x", "\n\n" })]
    public void PieceEnd_SplitsLikeThePattern(string text, string[] expected)
    {
        Assert.Equal(expected, Pieces(text));
        Assert.Equal(expected, RegexPieces(text));
    }

    [Fact]
    public void PieceEnd_MatchesRegexOnRandomBmpText()
    {
        var random = new Random(1234);
        for (int i = 0; i < 3000; i++)
        {
            string text = RandomText.Next(random, random.Next(1, 80), bmpOnly: true);
            Assert.Equal(RegexPieces(text), Pieces(text));
        }
    }

    [Fact]
    public void PieceEnd_MatchesRegexOnBmpGoldens()
    {
        foreach (var golden in Gpt2Fixture.Goldens.Where(g => !g.Text.Any(char.IsSurrogate)).Take(3000))
            Assert.Equal(RegexPieces(golden.Text), Pieces(golden.Text));
    }

    [Fact]
    public void PieceEnd_WorksOnCodePoints()
    {
        Assert.Equal(["𝐀𝐁c", " 𝟘𝟙"], Pieces("𝐀𝐁c 𝟘𝟙"));        // astral letters and digits are letters and digits
        Assert.Equal(["👍🏽", " ok"], Pieces("👍🏽 ok"));
        Assert.Equal(["a", "\ud800", "b"], Pieces("a\ud800b"));   // a lone surrogate is U+FFFD, a symbol
        Assert.Equal(["!\udc00?", " x"], Pieces("!\udc00? x"));
        Assert.Equal(["\ud83d", "a"], Pieces("\ud83da"));          // a high surrogate without its low half
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>Our ids against tiktoken's gpt2 encoding on the committed golden corpus.</summary>
public sealed class Gpt2ParityTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" Hello world", new[] { 18435, 995 })]
    public void Encode_KnownGoldens(string text, int[] expected) => Assert.Equal(expected, Gpt2.Encode(text));

    [Fact]
    public void Vocabulary_IsGpt2s()
    {
        Assert.Equal(50257, Gpt2.VocabularySize);
        Assert.Equal(50256, Gpt2.SpecialTokens[WellKnownSpecialTokens.EndOfText]);
        Assert.Equal(50000, Gpt2.MergeCount);
    }

    [Fact]
    public void Encode_MatchesTiktokenOnEveryGoldenCase()
    {
        Assert.True(Gpt2Fixture.Goldens.Count > 6000);
        foreach (var golden in Gpt2Fixture.Goldens)
            AssertIds(golden, Gpt2.Encode(golden.Text, golden.AllowSpecial));
    }

    [Fact]
    public void CountAndEncodeInto_AgreeWithEncode()
    {
        var list = new List<int> { -1 };
        foreach (var golden in Gpt2Fixture.Goldens)
        {
            Assert.Equal(golden.Ids.Length, Gpt2.CountTokens(golden.Text, golden.AllowSpecial));
            list.RemoveRange(1, list.Count - 1);
            Assert.Equal(golden.Ids.Length, Gpt2.EncodeInto(golden.Text, list, golden.AllowSpecial));
            AssertIds(golden, list.Skip(1).ToArray());
        }
    }

    [Fact]
    public void EncodeBatch_GivesEachTextItsOwnIds()
    {
        var goldens = Gpt2Fixture.Goldens.Where(g => !g.AllowSpecial).ToArray();
        int[][] batch = Gpt2.EncodeBatch(goldens.Select(g => g.Text).ToArray(), maxDegreeOfParallelism: 2);
        for (int i = 0; i < goldens.Length; i++) AssertIds(goldens[i], batch[i]);
    }

    [Fact]
    public void Encode_FreshTokenizerWithColdCache_MatchesTiktoken()
    {
        // The shared tokenizer's cache is warm; a new one merges every piece from scratch.
        var cold = BpeTokenizer.FromPretrained(Gpt2Fixture.Gpt2Folder);
        foreach (var golden in Gpt2Fixture.Goldens.Take(400)) AssertIds(golden, cold.Encode(golden.Text, golden.AllowSpecial));
    }

    internal static void AssertIds(GoldenCase golden, int[] actual)
    {
        if (golden.Ids.AsSpan().SequenceEqual(actual)) return;
        int at = 0;
        while (at < Math.Min(actual.Length, golden.Ids.Length) && actual[at] == golden.Ids[at]) at++;
        Assert.Fail($"{golden}: ids differ from tiktoken's at index {at} (expected {Show(golden.Ids, at)}, got {Show(actual, at)}) " +
                    $"for text {Escape(golden.Text)}");
    }

    private static string Show(int[] ids, int at) => "[" + string.Join(", ", ids.Skip(Math.Max(0, at - 2)).Take(6)) + " …]";

    private static string Escape(string text)
    {
        string head = text.Length > 80 ? text[..80] + "…" : text;
        return "\"" + string.Concat(head.Select(c => c < 0x20 || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";
    }
}

using System.Buffers;
using Gpt.Sdk.MLTokenizers;
using Microsoft.ML.Tokenizers;
using BpeTokenizer = Gpt.Sdk.Tokenization.BpeTokenizer;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>
/// GPT-2 through Microsoft.ML.Tokenizers' <see cref="Tokenizer"/> contract (Gpt.Sdk.MLTokenizers): every answer is
/// checked against tiktoken's golden ids or against the SDK encoder's own answer for the same text.
/// </summary>
public sealed class MLTokenizerAdapterTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;
    private static readonly Tokenizer s_text = Gpt2.AsMLTokenizer();
    private static readonly Tokenizer s_trusted = Gpt2.AsMLTokenizer(allowSpecialTokens: true);

    private static Tokenizer For(GoldenCase golden) => golden.AllowSpecial ? s_trusted : s_text;

    [Fact]
    public void EncodeToIds_MatchesTiktokenOnEveryGoldenCase()
    {
        foreach (var golden in Gpt2Fixture.Goldens)
        {
            Gpt2ParityTests.AssertIds(golden, For(golden).EncodeToIds(golden.Text).ToArray());
            Gpt2ParityTests.AssertIds(golden, For(golden).EncodeToIds(golden.Text.AsSpan()).ToArray());
        }
    }

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" Hello world", new[] { 18435, 995 })]
    public void EncodeToIds_KnownGoldens(string text, int[] expected) => Assert.Equal(expected, s_text.EncodeToIds(text));

    [Theory]
    [InlineData("a<|endoftext|>b")]
    [InlineData("<|endoftext|>")]
    [InlineData("𝒳's 😀'll 𐍈'd")]            // contractions right after characters outside the BMP
    [InlineData("日本語のテキスト, mixed with English and 123456 digits")]
    [InlineData("  leading spaces\n\n\ttabs\r\n and trailing   ")]
    [InlineData("")]
    public void EveryEntryPoint_GivesTheSdkEncodersIds(string text)
    {
        foreach (bool allowSpecial in new[] { false, true })
        {
            Tokenizer tokenizer = allowSpecial ? s_trusted : s_text;
            int[] expected = Gpt2.Encode(text, allowSpecial);
            Assert.Equal(expected, tokenizer.EncodeToIds(text));
            Assert.Equal(expected, tokenizer.EncodeToIds(text, considerPreTokenization: false, considerNormalization: false));
            Assert.Equal(expected, tokenizer.EncodeToTokens(text, out string? normalized).Select(t => t.Id));
            Assert.Null(normalized);
            Assert.Equal(expected.Length, tokenizer.CountTokens(text));
            Assert.Equal(expected.Length, tokenizer.CountTokens(text.AsSpan()));
        }
    }

    [Fact]
    public void EndOfText_IsOrdinaryTextUnlessSpecialTokensAreAllowed()
    {
        const string text = "a<|endoftext|>b";
        Assert.DoesNotContain(50256, s_text.EncodeToIds(text));
        Assert.Equal([64, 50256, 65], s_trusted.EncodeToIds(text));
        var special = s_trusted.EncodeToTokens(text, out _)[1];
        Assert.Equal(new EncodedToken(50256, "<|endoftext|>", 1..14), special);
    }

    [Fact]
    public void EncodeToTokens_OffsetsAndValuesMapBackToTheText()
    {
        foreach (var golden in Gpt2Fixture.Goldens.Take(2500))
        {
            var tokens = For(golden).EncodeToTokens(golden.Text, out _);
            Gpt2ParityTests.AssertIds(golden, tokens.Select(t => t.Id).ToArray());
            int covered = 0;
            for (int i = 0; i < tokens.Count; i++)
            {
                var (start, end) = (tokens[i].Offset.Start.Value, tokens[i].Offset.End.Value);
                Assert.True(start <= covered && end > start && end <= golden.Text.Length, $"{golden}: token {i} has offset {tokens[i].Offset}");
                Assert.Equal(golden.Text[start..end], tokens[i].Value);
                // A token that holds whole characters decodes to exactly its text.
                bool ownsItsText = start == covered && (i + 1 == tokens.Count || tokens[i + 1].Offset.Start.Value >= end);
                if (ownsItsText && golden.IsWellFormed) Assert.Equal(tokens[i].Value, Gpt2.Decode([tokens[i].Id]));
                covered = Math.Max(covered, end);
            }
            Assert.Equal(golden.Text.Length, covered);
        }
    }

    [Fact]
    public void CountTokens_AgreesWithEncodingOnEveryGoldenCase()
    {
        foreach (var golden in Gpt2Fixture.Goldens)
            Assert.Equal(golden.Ids.Length, For(golden).CountTokens(golden.Text));
    }

    [Fact]
    public void GetIndexByTokenCount_CutsAfterTheLastTokenThatFits()
    {
        var random = new Random(7);
        foreach (var golden in Gpt2Fixture.Goldens.Where(g => g.Ids.Length > 1).Take(800))
        {
            Tokenizer tokenizer = For(golden);
            var tokens = tokenizer.EncodeToTokens(golden.Text, out _);
            int max = random.Next(1, tokens.Count + 2);

            int index = tokenizer.GetIndexByTokenCount(golden.Text, max, out string? normalized, out int count);
            Assert.Null(normalized);
            Assert.InRange(count, 0, Math.Min(max, tokens.Count));
            Assert.Equal(count == 0 ? 0 : tokens[count - 1].Offset.End.Value, index);
            Assert.True(count == tokens.Count || tokens[count].Offset.Start.Value >= index, $"{golden}: the cut at {index} splits a character");
            // Fewer tokens than asked only where every longer cut would split a character between two tokens.
            for (int longer = count + 1; longer <= Math.Min(max, tokens.Count); longer++)
                Assert.True(longer < tokens.Count && tokens[longer].Offset.Start.Value < tokens[longer - 1].Offset.End.Value, $"{golden}: stopped at {count} of {max}");

            // EncodeToIds under the same limit gives those leading ids and says how much text they cover.
            var ids = tokenizer.EncodeToIds(golden.Text, max, out _, out int charsConsumed);
            Assert.Equal(golden.Ids.Take(count), ids);
            Assert.Equal(index, charsConsumed);
            Assert.Equal(index, tokenizer.GetIndexByTokenCount(golden.Text.AsSpan(), max, out _, out int spanCount));
            Assert.Equal(count, spanCount);

            int fromEnd = tokenizer.GetIndexByTokenCountFromEnd(golden.Text, max, out _, out int tailCount);
            Assert.InRange(tailCount, 0, Math.Min(max, tokens.Count));
            Assert.Equal(tailCount == 0 ? golden.Text.Length : tokens[^tailCount].Offset.Start.Value, fromEnd);
            Assert.True(tailCount == tokens.Count || tokens[^(tailCount + 1)].Offset.End.Value <= fromEnd, $"{golden}: the cut at {fromEnd} splits a character");
        }
    }

    [Fact]
    public void GetIndexByTokenCount_NeverSeparatesTheTokensOfOneCharacter()
    {
        const string text = "a😀b";                      // the emoji is several GPT-2 tokens
        var tokens = s_text.EncodeToTokens(text, out _);
        Assert.True(tokens.Count > 3, "the emoji should take several tokens for this test to mean anything");

        Assert.Equal(1, s_text.GetIndexByTokenCount(text, 2, out _, out int count));
        Assert.Equal(1, count);                           // "a": the emoji's first token alone would cut the emoji
        Assert.Equal(3, s_text.GetIndexByTokenCount(text, tokens.Count - 1, out _, out count));
        Assert.Equal(tokens.Count - 1, count);            // "a😀"
        Assert.Equal(3, s_text.GetIndexByTokenCountFromEnd(text, 2, out _, out count));
        Assert.Equal(1, count);                           // "b"
        Assert.Equal(0, s_text.GetIndexByTokenCountFromEnd(text, 100, out _, out count));
        Assert.Equal(tokens.Count, count);
        Assert.Equal(text.Length, s_text.GetIndexByTokenCount(text, 100, out _, out _));
    }

    [Fact]
    public void Decode_RoundTripsEveryWellFormedGolden()
    {
        foreach (var golden in Gpt2Fixture.Goldens.Where(g => g.IsWellFormed))
        {
            Assert.Equal(golden.Text, For(golden).Decode(golden.Ids));
            Assert.Equal(golden.Text, For(golden).Decode(golden.Ids.ToList()));
            Assert.Equal(golden.Text, For(golden).Decode(golden.Ids.Select(id => id)));
        }
    }

    [Fact]
    public void DecodeIntoSpan_InPiecesOfAnySize_GivesTheWholeText()
    {
        var random = new Random(11);
        foreach (var golden in Gpt2Fixture.Goldens.Take(1500))
        {
            string expected = Gpt2.Decode(golden.Ids);    // lone surrogates come back as U+FFFD
            var text = new System.Text.StringBuilder();
            int next = 0;
            var buffer = new char[random.Next(4, 24)];    // 4: room for the longest character's replacement, and more
            while (true)
            {
                var status = s_text.Decode(golden.Ids.Skip(next), buffer, out int idsConsumed, out int charsWritten);
                Assert.True(status is OperationStatus.Done or OperationStatus.DestinationTooSmall, $"{golden}: {status}");
                text.Append(buffer, 0, charsWritten);
                next += idsConsumed;
                if (status == OperationStatus.Done) break;
                if (idsConsumed == 0) buffer = new char[buffer.Length * 2]; // one token's text is longer than the buffer
            }
            Assert.Equal(golden.Ids.Length, next);
            Assert.Equal(expected, text.ToString());
        }
    }

    [Fact]
    public void DecodeIntoSpan_AnIncompleteCharacterAtTheEnd_BecomesAReplacementCharacter()
    {
        int[] emoji = Gpt2.Encode("😀");
        Assert.True(emoji.Length > 1);
        var buffer = new char[8];
        Assert.Equal(OperationStatus.Done, s_text.Decode(emoji[..1], buffer, out int ids, out int chars));
        Assert.Equal(1, ids);
        Assert.Equal(Gpt2.Decode(emoji[..1]), new string(buffer, 0, chars));
        Assert.Equal("\uFFFD", Gpt2.Decode(emoji[..1]));
    }

    [Fact]
    public void BadInput_IsRefusedCleanly()
    {
        Assert.Throws<ArgumentNullException>(() => ((BpeTokenizer)null!).AsMLTokenizer());
        Assert.Throws<ArgumentOutOfRangeException>(() => s_text.EncodeToIds("some text", 0, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => s_text.GetIndexByTokenCount("some text", -1, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => s_text.GetIndexByTokenCountFromEnd("some text", 0, out _, out _));
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => s_text.Decode([15496, Gpt2.VocabularySize]));
        Assert.Contains("50257", outside.Message);
        Assert.Throws<ArgumentNullException>(() => s_text.Decode(null!));

        var buffer = new char[32];
        Assert.Equal(OperationStatus.InvalidData, s_text.Decode([15496, -1, 995], buffer, out int ids, out int chars));
        Assert.Equal(1, ids);                              // "Hello" came out before the bad id
        Assert.Equal("Hello", new string(buffer, 0, chars));
    }
}

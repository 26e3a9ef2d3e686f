using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>The streaming decoder, fed one token at a time, adds up to Decode and never emits half a character.</summary>
public sealed class StreamingDecoderTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Theory]
    [InlineData("👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇯🇵 flag")]
    [InlineData("今天天气很好，我们去公园散步吧。機械学習")]
    [InlineData("नमस्ते दुनिया 🙂 مرحبا")]
    public void Append_OneTokenAtATime_AddsUpToDecode(string text)
    {
        int[] ids = Gpt2.Encode(text);
        var decoder = Gpt2.CreateStreamingDecoder();
        var streamed = new StringBuilder();
        bool heldBack = false;
        foreach (int id in ids)
        {
            string piece = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', piece);
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]), "a piece ended inside a surrogate pair");
            heldBack |= decoder.HasPendingBytes;
            streamed.Append(piece);
        }
        Assert.True(heldBack, "some token should end inside a character for this test to mean anything");
        Assert.False(decoder.HasPendingBytes);
        Assert.Equal("", decoder.Flush());
        Assert.Equal(text, streamed.ToString());
    }

    [Fact]
    public void Append_OnEveryGolden_AddsUpToDecode()
    {
        var decoder = Gpt2.CreateStreamingDecoder();
        foreach (var golden in Gpt2Fixture.Goldens.Take(2000))
        {
            var streamed = new StringBuilder();
            foreach (int id in golden.Ids) streamed.Append(decoder.Append(id));
            streamed.Append(decoder.Flush());
            Assert.Equal(Gpt2.Decode(golden.Ids), streamed.ToString());
        }
    }

    [Fact]
    public void Flush_WithAnIncompleteCharacter_GivesReplacementCharacter()
    {
        int[] ids = Gpt2.Encode("😀");
        var decoder = Gpt2.CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(ids[0]));
        Assert.True(decoder.HasPendingBytes);
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.False(decoder.HasPendingBytes);
    }

    [Fact]
    public void Reset_ForgetsHeldBackBytes()
    {
        int[] emoji = Gpt2.Encode("😀");
        var decoder = Gpt2.CreateStreamingDecoder();
        decoder.Append(emoji[0]);
        decoder.Reset();
        Assert.Equal("Hello", decoder.Append(Gpt2.Encode("Hello")));
    }
}

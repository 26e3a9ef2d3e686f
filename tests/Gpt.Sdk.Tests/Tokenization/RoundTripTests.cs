using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>decode(encode(s)) == s, and what happens to text that is not valid UTF-16.</summary>
public sealed class RoundTripTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Fact]
    public void Decode_GivesBackEveryWellFormedGolden()
    {
        foreach (var golden in Gpt2Fixture.Goldens.Where(g => g.IsWellFormed))
            Assert.Equal(golden.Text, Gpt2.Decode(golden.Ids));
    }

    [Fact]
    public void Decode_GivesBackRandomText()
    {
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            string text = RandomText.Next(random, random.Next(0, 200));
            Assert.Equal(text, Gpt2.Decode(Gpt2.Encode(text)));
        }
    }

    [Fact]
    public void LoneSurrogates_AreEncodedAsReplacementCharacters()
    {
        var random = new Random(1234);
        for (int i = 0; i < 1000; i++)
        {
            string text = RandomText.Next(random, random.Next(1, 100), loneSurrogates: true);
            string utf8 = RandomText.Utf8RoundTrip(text);
            int[] ids = Gpt2.Encode(text);
            Assert.Equal(Gpt2.Encode(utf8), ids);
            Assert.Equal(utf8, Gpt2.Decode(ids));
            Assert.Equal(ids.Length, Gpt2.CountTokens(text));
        }
    }

    [Fact]
    public void DecodeToBytes_IsTheUtf8OfTheText()
    {
        const string text = "naïve 👩‍👩‍👧‍👦 日本語 <|endoftext|>";
        Assert.Equal(Encoding.UTF8.GetBytes(text), Gpt2.DecodeToBytes(Gpt2.Encode(text)));
        Assert.Equal(Encoding.UTF8.GetBytes(text), Gpt2.DecodeToBytes(Gpt2.Encode(text, allowSpecialTokens: true)));
    }

    [Fact]
    public void Decode_PartOfACharacter_GivesReplacementCharacter()
    {
        int[] ids = Gpt2.Encode("😀");
        Assert.True(ids.Length > 1, "the emoji should take several tokens for this test to mean anything");
        Assert.Equal("\uFFFD", Gpt2.Decode(ids.AsSpan(0, 1)));
    }

    [Fact]
    public void Decode_UnknownId_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.Decode([15496, 50257]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.Decode([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.GetTokenBytes(50257));
    }

    [Fact]
    public void EmptyText_HasNoTokens()
    {
        Assert.Empty(Gpt2.Encode(""));
        Assert.Equal("", Gpt2.Decode([]));
        Assert.Equal(0, Gpt2.CountTokens(""));
    }

    [Fact]
    public void GetTokenBytes_GivesTheBytesOfAToken()
    {
        Assert.Equal(" world"u8.ToArray(), Gpt2.GetTokenBytes(995).ToArray());
        Assert.Equal("<|endoftext|>"u8.ToArray(), Gpt2.GetTokenBytes(50256).ToArray());
        Assert.True(Gpt2.IsSpecialToken(50256));
        Assert.False(Gpt2.IsSpecialToken(995));
    }

    [Fact]
    public void ConcurrentEncodes_OnOneTokenizer_AgreeWithTiktoken()
    {
        // A fresh tokenizer, so the threads race to fill and evict the same cache slots.
        var shared = BpeTokenizer.FromPretrained(Gpt2Fixture.Gpt2Folder);
        var goldens = Gpt2Fixture.Goldens;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int i = worker; i < goldens.Count; i += 2)
                Gpt2ParityTests.AssertIds(goldens[i], shared.Encode(goldens[i].Text, goldens[i].AllowSpecial));
        });
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>Token → text offsets.</summary>
public sealed class TokenSpanTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Fact]
    public void EncodeToSpans_AsciiText_TilesTheText()
    {
        const string text = "Hello world, it's 2024!\n\n  def f(x): return x";
        var spans = Gpt2.EncodeToSpans(text);
        Assert.Equal(Gpt2.Encode(text), spans.Select(s => s.Id));
        Assert.Equal(text, string.Concat(spans.Select(s => text.Substring(s.Start, s.Length))));
        Assert.Equal(new TokenSpan(15496, 0, 5), spans[0]);
        Assert.Equal(new TokenSpan(995, 5, 6), spans[1]);
    }

    [Fact]
    public void EncodeToSpans_TokensInsideACharacter_ShareIt()
    {
        const string text = "a😀b";
        var spans = Gpt2.EncodeToSpans(text);
        Assert.Equal(Gpt2.Encode(text), spans.Select(s => s.Id));
        var emoji = spans.Where(s => s.Start == 1).ToArray();
        Assert.True(emoji.Length > 1, "the emoji should take several tokens for this test to mean anything");
        Assert.All(emoji, s => Assert.Equal(2, s.Length)); // each part of the emoji points at its surrogate pair
    }

    [Fact]
    public void EncodeToSpans_SpecialTokens_CoverTheirText()
    {
        const string text = "x<|endoftext|>y";
        var spans = Gpt2.EncodeToSpans(text, allowSpecialTokens: true);
        Assert.Equal([new TokenSpan(87, 0, 1), new TokenSpan(50256, 1, 13), new TokenSpan(88, 14, 1)], spans);
    }

    [Fact]
    public void EncodeToSpans_OnGoldens_CoversTheTextInOrder()
    {
        foreach (var golden in Gpt2Fixture.Goldens.Take(2500))
        {
            var spans = Gpt2.EncodeToSpans(golden.Text, golden.AllowSpecial);
            Assert.Equal(golden.Ids, spans.Select(s => s.Id));
            int covered = 0;
            foreach (var span in spans)
            {
                Assert.True(span.Start <= covered && span.Length > 0 && span.End <= golden.Text.Length, $"{golden}: bad span {span}");
                Assert.True(span.Start == covered || span.Start < covered, $"{golden}: gap before {span}");
                covered = Math.Max(covered, span.End);
            }
            Assert.Equal(golden.Text.Length, covered);
        }
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>Special tokens are only produced when a call allows them, as tiktoken does.</summary>
public sealed class SpecialTokenTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Fact]
    public void EndOfText_IsOrdinaryTextUnlessAllowed()
    {
        const string text = "a<|endoftext|>b";
        int[] ordinary = Gpt2.Encode(text);
        Assert.DoesNotContain(50256, ordinary);
        Assert.Equal(text, Gpt2.Decode(ordinary));
        Assert.Equal([64, 50256, 65], Gpt2.Encode(text, allowSpecialTokens: true));
        Assert.Equal(3, Gpt2.CountTokens(text, allowSpecialTokens: true));
    }

    [Fact]
    public void WithSpecialTokens_AddsChatAndFillInTheMiddleTokens()
    {
        var chat = Gpt2.WithSpecialTokens(WellKnownSpecialTokens.MessageStart, WellKnownSpecialTokens.MessageEnd,
            WellKnownSpecialTokens.FimPrefix, WellKnownSpecialTokens.FimMiddle, WellKnownSpecialTokens.FimSuffix,
            WellKnownSpecialTokens.EndOfText);

        Assert.Equal(50262, chat.VocabularySize);
        Assert.Equal(50256, chat.SpecialTokens[WellKnownSpecialTokens.EndOfText]);
        Assert.Equal(50257, chat.SpecialTokens[WellKnownSpecialTokens.MessageStart]);
        Assert.Equal(50261, chat.SpecialTokens[WellKnownSpecialTokens.FimSuffix]);
        Assert.Equal(50257, Gpt2.VocabularySize); // the original is unchanged

        const string prompt = "<|im_start|>user\nHi<|im_end|><|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>";
        int[] ids = chat.Encode(prompt, allowSpecialTokens: true);
        Assert.Equal([50257, 7220, 198, 17250, 50258, 50259, 4299, 277, 7, 50261, 8, 50260], ids);
        Assert.Equal(prompt, chat.Decode(ids));
        Assert.Equal(Gpt2.Encode(prompt), chat.Encode(prompt)); // not allowed: ordinary text, as GPT-2 encodes it
    }

    [Fact]
    public void WithSpecialTokens_PrefersTheLongestMatch()
    {
        var tokenizer = Gpt2.WithSpecialTokens("<|a|>", "<|a|>b");
        int shorter = tokenizer.SpecialTokens["<|a|>"], longer = tokenizer.SpecialTokens["<|a|>b"];
        Assert.Equal([longer, shorter, 66], tokenizer.Encode("<|a|>b<|a|>c", allowSpecialTokens: true));
    }

    [Fact]
    public void WithSpecialTokens_AtGivenIds_RefusesTakenIds()
    {
        var tokenizer = Gpt2.WithSpecialTokens(new Dictionary<string, int> { ["<|pad|>"] = 60000 });
        Assert.Equal(60001, tokenizer.VocabularySize);
        Assert.Equal([60000], tokenizer.Encode("<|pad|>", allowSpecialTokens: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([50300])); // a gap in the ids
        Assert.Throws<ArgumentException>(() => Gpt2.WithSpecialTokens(new Dictionary<string, int> { ["<|x|>"] = 995 }));
        Assert.Throws<ArgumentException>(() => Gpt2.WithSpecialTokens(new Dictionary<string, int> { [WellKnownSpecialTokens.EndOfText] = 50300 }));
        Assert.Throws<ArgumentException>(() => Gpt2.WithSpecialTokens(""));
    }
}

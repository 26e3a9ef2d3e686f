using Gpt.Sdk.Generation;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Generation;

/// <summary>Tokens → text: stop sequences across token boundaries and UTF-8-safe chunks, on real GPT-2 tokens.</summary>
public class TextAssemblyTests
{
    // Feeds the tokens of text one by one as if the model had chosen them.
    private static (Completion Completion, List<GenerationChunk> Chunks) Feed(ITokenizer tokenizer, string text, params string[] stops)
    {
        int[] ids = tokenizer.Encode(text);
        var options = new GenerationOptions { StopSequences = stops, MaxTokens = ids.Length };
        var sequence = new GenerationSequence(0, 0, 0, new TokenSampler(options, tokenizer.VocabularySize, [], 0), tokenizer, options);
        var chunks = new List<GenerationChunk>();
        foreach (int id in ids)
        {
            chunks.Add(sequence.Accept(id, -1f, [], isEnd: false, roomLeft: true));
            if (sequence.FinishReason is not null) break;
        }
        return (sequence.ToCompletion(0), chunks);
    }

    private static string[] Pieces(string text) => Gpt2Fixture.Tokenizer.Encode(text).Select(id => Gpt2Fixture.Tokenizer.Decode([id])).ToArray();

    [Fact]
    public void StopSpanningTwoTokensEndsTheTextBeforeIt()
    {
        Assert.Equal(["Hello", " world", ",", " foo", " bar"], Pieces("Hello world, foo bar"));
        var (completion, chunks) = Feed(Gpt2Fixture.Tokenizer, "Hello world, foo bar", "lo wor");
        Assert.Equal(FinishReason.Stop, completion.FinishReason);
        Assert.Equal("Hel", completion.Text);
        Assert.Equal("Hel", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(2, completion.Tokens.Count); // the tokens that completed the stop are still reported
    }

    [Fact]
    public void StopSpanningThreeTokensEndsTheTextBeforeIt()
    {
        var (completion, chunks) = Feed(Gpt2Fixture.Tokenizer, "Hello world, foo bar", "o world, f");
        Assert.Equal(FinishReason.Stop, completion.FinishReason);
        Assert.Equal("Hell", completion.Text);
        Assert.Equal(4, completion.Tokens.Count);
        // Nothing that could begin the stop was shown before the stop was ruled in.
        Assert.Equal("Hell", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(3, Feed(Gpt2Fixture.Tokenizer, "Hello world, foo bar", "lo world,").Completion.Tokens.Count);
    }

    [Fact]
    public void EarliestOfSeveralStopsWinsAndPartialMatchesAreReleased()
    {
        var (completion, chunks) = Feed(Gpt2Fixture.Tokenizer, "Hello world, foo bar", " bar", "wo", "xyz");
        Assert.Equal("Hello ", completion.Text);
        Assert.Equal(FinishReason.Stop, completion.FinishReason);

        // "foo" looks like the start of "foo x" until " bar" says otherwise; then it is released.
        var (whole, wholeChunks) = Feed(Gpt2Fixture.Tokenizer, "Hello world, foo bar", "foo x");
        Assert.Equal(" ", wholeChunks[3].Text);
        Assert.Equal(FinishReason.Length, whole.FinishReason);
        Assert.Equal("Hello world, foo bar", whole.Text);
        Assert.Equal(whole.Text, string.Concat(wholeChunks.Select(c => c.Text)));
    }

    // Acceptance: streaming chunks concatenate to the final text for emoji and CJK, never splitting a character.
    [Theory]
    [InlineData("Hi 👋🏽 there, 世界 and 🎉🎉 done")]
    [InlineData("日本語のテキスト 👨‍👩‍👧")]
    public void ChunksNeverSplitACharacter(string text)
    {
        var (completion, chunks) = Feed(Gpt2Fixture.Tokenizer, text);
        Assert.True(Gpt2Fixture.Tokenizer.Encode(text).Length > text.EnumerateRunes().Count() / 2); // multi-byte characters span tokens
        Assert.Equal(text, completion.Text);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text)));
        Assert.Contains(chunks, c => c.Text.Length == 0); // some token ended inside a character and was held back
        Assert.All(chunks, c => Assert.False(GenerationModels.HasLoneSurrogate(c.Text) || c.Text.Contains('\uFFFD'), c.Text));
    }

    [Fact]
    public void CharTokenizerStreamsKeepSurrogatePairsTogether()
    {
        const string text = "ab😀c🎉";
        var tokenizer = CharTokenizer.FromCorpus(text);
        var (completion, chunks) = Feed(tokenizer, text);
        Assert.Equal(text, completion.Text);
        Assert.Equal(text, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.False(GenerationModels.HasLoneSurrogate(c.Text), c.Text));
    }

    [Fact]
    public void StopMadeOfMultiByteCharactersIsFound()
    {
        var (completion, _) = Feed(Gpt2Fixture.Tokenizer, "Hi 👋🏽 there, 世界 and more", "世界");
        Assert.Equal("Hi 👋🏽 there, ", completion.Text);
        Assert.Equal(FinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public void AnUnfinishedCharacterAtTheEndBecomesReplacementCharacter()
    {
        int[] ids = Gpt2Fixture.Tokenizer.Encode("a🎉");
        var options = new GenerationOptions { MaxTokens = ids.Length - 1 };
        var sequence = new GenerationSequence(0, 0, 0, new TokenSampler(options, 50257, [], 0), Gpt2Fixture.Tokenizer, options);
        foreach (int id in ids[..^1]) sequence.Accept(id, 0, [], false, true);
        Assert.Equal(FinishReason.Length, sequence.FinishReason);
        Assert.Equal("a\uFFFD", sequence.ToCompletion(0).Text);
    }
}

using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Retrieval;

public sealed class TextChunkerTests
{
    private static readonly Lazy<BpeTokenizer> s_bpe = new(() => BpeTrainer.Train(
        [RetrievalFixtures.Corpus], new BpeTrainerOptions { VocabularySize = 256 + 64 }));

    [Theory]
    [InlineData(16, 4, null)]
    [InlineData(16, 0, null)]
    [InlineData(7, 6, null)]
    [InlineData(1, 0, null)]
    [InlineData(20, 5, 0)]
    [InlineData(12, 3, 11)]
    public void Chunks_cover_every_token_overlap_exactly_and_hold_the_text_of_their_tokens(int size, int overlap, int? search)
    {
        var tokenizer = s_bpe.Value;
        string text = RetrievalFixtures.Corpus;
        int[] ids = tokenizer.Encode(text);
        var chunks = new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = size, OverlapTokens = overlap, BoundarySearchTokens = search })
            .Chunk("doc", text);

        Assert.Equal(0, chunks[0].TokenStart);
        Assert.Equal(ids.Length, chunks[^1].TokenEnd);
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            Assert.Equal(("doc", i), (chunk.DocumentId, chunk.Index));
            Assert.InRange(chunk.TokenCount, 1, size);
            Assert.Equal(text.Substring(chunk.CharStart, chunk.CharLength), chunk.Text);
            Assert.Equal(tokenizer.Decode(ids.AsSpan(chunk.TokenStart, chunk.TokenCount)), chunk.Text); // ASCII: no character is split
            if (i > 0)
            {
                Assert.Equal(chunks[i - 1].TokenEnd - overlap, chunk.TokenStart);
                Assert.True(chunk.TokenEnd > chunks[i - 1].TokenEnd);
            }
            if (search == 0 && i < chunks.Count - 1) Assert.Equal(size, chunk.TokenCount);
        }
    }

    [Fact]
    public void Cuts_move_back_to_a_sentence_end_or_a_gap_between_words()
    {
        var tokenizer = s_bpe.Value;
        string text = RetrievalFixtures.Corpus;
        var chunks = new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 24, OverlapTokens = 4, BoundarySearchTokens = 12 }).Chunk("doc", text);
        Assert.True(chunks.Count > 5);
        int sentenceEnds = 0;
        foreach (var chunk in chunks.Take(chunks.Count - 1))
        {
            // No cut inside a word: the chunk ends at whitespace or the next character is whitespace.
            Assert.True(char.IsWhiteSpace(text[chunk.CharEnd - 1]) || char.IsWhiteSpace(text[chunk.CharEnd]), $"chunk {chunk.Index} ends inside a word: '{chunk.Text}'");
            if (chunk.Text.TrimEnd().EndsWith('.')) sentenceEnds++;
        }
        // The corpus's sentences are shorter than the search window, so every cut finds a sentence end.
        Assert.Equal(chunks.Count - 1, sentenceEnds);

        var fixedCuts = new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 24, OverlapTokens = 4, BoundarySearchTokens = 0 }).Chunk("doc", text);
        Assert.Contains(fixedCuts.Take(fixedCuts.Count - 1), c => !c.Text.TrimEnd().EndsWith('.'));
    }

    [Fact]
    public void A_character_split_between_tokens_stays_whole_and_every_token_is_still_covered()
    {
        var tokenizer = s_bpe.Value;
        string text = string.Concat(Enumerable.Repeat("tea 🍵 and 日本語 cake. ", 12));
        int[] ids = tokenizer.Encode(text);
        var chunks = new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 5, OverlapTokens = 1, BoundarySearchTokens = 0 }).Chunk("u", text);
        Assert.Equal(ids.Length, chunks[^1].TokenEnd);
        Assert.All(chunks, c => Assert.Equal(text.Substring(c.CharStart, c.CharLength), c.Text));
        Assert.All(chunks, c => Assert.DoesNotContain('\uFFFD', c.Text));
        Assert.Equal(text.Length, chunks[^1].CharEnd);
    }

    [Fact]
    public void A_character_tokenizer_chunks_by_characters()
    {
        var tokenizer = CharTokenizer.FromCorpus("abcdefghij ");
        var chunks = new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 4, OverlapTokens = 1, BoundarySearchTokens = 0 }).Chunk("c", "abcdefghij");
        Assert.Equal(["abcd", "defg", "ghij"], chunks.Select(c => c.Text));
        Assert.Equal([0, 3, 6], chunks.Select(c => c.CharStart));
        Assert.Empty(new TextChunker(tokenizer).Chunk("empty", ""));
    }

    [Fact]
    public void Bad_options_and_input_are_refused_naming_what_is_wrong()
    {
        var tokenizer = s_bpe.Value;
        Assert.Contains("at least 1", Assert.Throws<ArgumentException>(() => new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 0, OverlapTokens = 0 })).Message);
        Assert.Contains("smaller than the chunk size", Assert.Throws<ArgumentException>(() => new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 8, OverlapTokens = 8 })).Message);
        Assert.Throws<ArgumentException>(() => new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 8, OverlapTokens = -1 }));
        Assert.Throws<ArgumentException>(() => new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 8, OverlapTokens = 0, BoundarySearchTokens = -2 }));
        Assert.Throws<ArgumentNullException>(() => new TextChunker(null!));
        Assert.Throws<ArgumentNullException>(() => new TextChunker(tokenizer).Chunk("d", null!));
        Assert.Contains("do not map back", Assert.Throws<NotSupportedException>(() => new TextChunker(new UpperCasingTokenizer()).Chunk("d", "abc")).Message);
    }

    /// <summary>A tokenizer whose tokens decode to something other than the text, so chunks cannot be located.</summary>
    private sealed class UpperCasingTokenizer : ITokenizer
    {
        public int VocabularySize => 128;

        public int[] Encode(string text) => [.. text.Select(c => (int)c)];

        public string Decode(ReadOnlySpan<int> ids)
        {
            var chars = new char[ids.Length];
            for (int i = 0; i < ids.Length; i++) chars[i] = char.ToUpperInvariant((char)ids[i]);
            return new string(chars);
        }
    }
}

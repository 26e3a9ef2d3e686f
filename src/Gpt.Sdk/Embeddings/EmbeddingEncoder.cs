using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Turns a text into the token sequence a head pools: <c>[start] text [end]</c> for end-token pooling, the text's tokens
/// for mean pooling. A text longer than the trunk's context allows is truncated to its first tokens (the end delimiter is
/// kept, so the pooled position exists) and flagged; an empty text, or one without tokens, is refused.
/// </summary>
internal sealed class EmbeddingEncoder
{
    private readonly ITokenizer _tokenizer;
    private readonly EmbeddingHeadConfig _config;

    public EmbeddingEncoder(ITokenizer tokenizer, EmbeddingHeadConfig config, int contextLength, int vocabularySize)
    {
        _tokenizer = tokenizer;
        _config = config;
        if (config.Pooling == EmbeddingPooling.EndToken)
        {
            var (start, end) = EmbeddingHead.DelimiterIds(tokenizer);
            if (start != config.StartTokenId || end != config.EndTokenId)
                throw new ArgumentException(
                    $"the tokenizer's delimiters are ids {start} and {end}, but the head was trained with {config.StartTokenId} and {config.EndTokenId}; " +
                    "use the tokenizer saved with the head.", nameof(tokenizer));
            if (Math.Max(start, end) >= vocabularySize)
                throw new ArgumentException(
                    $"the delimiters' ids {start} and {end} are outside the trunk's vocabulary of {vocabularySize}; the trunk needs their embedding rows " +
                    "(load it with Embedder.Load, which adds them from the head folder).", nameof(tokenizer));
        }

        MaxTextTokens = contextLength - (config.Pooling == EmbeddingPooling.EndToken ? 2 : 0);
        if (MaxTextTokens < 1) throw new ArgumentException($"a context of {contextLength} leaves no room for a text between the delimiters.");
        VocabularySize = vocabularySize;
    }

    /// <summary>The most tokens of a text that are read; longer texts are truncated.</summary>
    public int MaxTextTokens { get; }

    private int VocabularySize { get; }

    /// <summary>The sequence to run, the text tokens read, and whether the text was cut.</summary>
    /// <exception cref="ArgumentException">The text is empty or encodes to no token.</exception>
    public (int[] Sequence, int TextTokens, bool Truncated) Encode(string text, string what)
    {
        if (string.IsNullOrEmpty(text))
            throw new ArgumentException($"{what} is empty; an embedding needs at least one token of text. Leave empty texts out.");
        int[] tokens = _tokenizer.Encode(text);
        if (tokens.Length == 0) throw new ArgumentException($"{what} encodes to no tokens; an embedding needs at least one.");
        foreach (int id in tokens)
            if ((uint)id >= (uint)VocabularySize)
                throw new ArgumentException($"{what} has token id {id}, outside the trunk's vocabulary of {VocabularySize}: the tokenizer is not the trunk's.");
        bool truncated = tokens.Length > MaxTextTokens;
        int kept = Math.Min(tokens.Length, MaxTextTokens);
        if (_config.Pooling == EmbeddingPooling.Mean) return (truncated ? tokens[..kept] : tokens, kept, truncated);
        var sequence = new int[kept + 2];
        sequence[0] = _config.StartTokenId;
        tokens.AsSpan(0, kept).CopyTo(sequence.AsSpan(1));
        sequence[^1] = _config.EndTokenId;
        return (sequence, kept, truncated);
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Retrieval;

/// <summary>
/// Cuts a document into chunks of at most <see cref="TextChunkerOptions.MaxTokens"/> tokens, each sharing exactly
/// <see cref="TextChunkerOptions.OverlapTokens"/> tokens with the one before it, so every token is in some chunk and a
/// sentence cut in one chunk is whole in its neighbour. A cut moves back (up to
/// <see cref="TextChunkerOptions.BoundarySearchTokens"/>) to the nearest sentence end, or else the nearest gap between
/// words, so chunks do not end inside a word when a boundary is near. Thread-safe.
/// </summary>
public sealed class TextChunker
{
    private readonly ITokenizer _tokenizer;

    /// <summary>A chunker counting with <paramref name="tokenizer"/> (the embedding model's, so a chunk fits its context).</summary>
    /// <param name="tokenizer">The tokenizer. A <see cref="BpeTokenizer"/> maps tokens to characters exactly; another
    /// tokenizer must decode its tokens one by one back into the text (as <see cref="CharTokenizer"/> does).</param>
    /// <param name="options">Chunk size, overlap and boundary search (defaults when null).</param>
    /// <exception cref="ArgumentException">The options are invalid (the message names the option).</exception>
    public TextChunker(ITokenizer tokenizer, TextChunkerOptions? options = null)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Options = (options ?? new TextChunkerOptions()).Validate();
    }

    /// <summary>The options in use.</summary>
    public TextChunkerOptions Options { get; }

    /// <summary>Cuts <paramref name="text"/> into chunks, in order.</summary>
    /// <param name="documentId">The document's id, carried by every chunk.</param>
    /// <param name="text">The document; an empty one has no chunks.</param>
    /// <exception cref="NotSupportedException">The tokenizer's tokens do not decode one by one back into the text, so
    /// chunks cannot be located in it.</exception>
    public IReadOnlyList<TextChunk> Chunk(string documentId, string text)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        ArgumentNullException.ThrowIfNull(text);
        var spans = Spans(text);
        var chunks = new List<TextChunk>();
        int n = spans.Length, start = 0;
        while (start < n)
        {
            int end = start + Options.MaxTokens >= n ? n : Cut(text, spans, start);
            int charStart = spans[start].Start, charEnd = spans[end - 1].End;
            chunks.Add(new TextChunk(documentId, chunks.Count, text[charStart..charEnd], start, end - start, charStart, charEnd - charStart));
            if (end == n) break;
            start = end - Options.OverlapTokens;
        }
        return chunks;
    }

    // The chunk [start, cut): the latest cut within the search window at a sentence end, else between words, else the full size.
    // The window stops at start + overlap + 1 so the next chunk (from cut - overlap) begins after this one.
    private int Cut(string text, TokenSpan[] spans, int start)
    {
        int end = start + Options.MaxTokens;
        int earliest = Math.Max(start + Options.OverlapTokens + 1, end - Options.BoundarySearch);
        int wordBreak = -1;
        for (int cut = end; cut >= earliest; cut--)
        {
            var boundary = Boundary(text, spans, cut);
            if (boundary == BoundaryKind.Sentence) return cut;
            if (boundary == BoundaryKind.Word && wordBreak < 0) wordBreak = cut;
        }
        return wordBreak > 0 ? wordBreak : end;
    }

    // What lies between token cut-1 and token cut.
    private static BoundaryKind Boundary(string text, TokenSpan[] spans, int cut)
    {
        int at = spans[cut].Start;
        if (at < spans[cut - 1].End) return BoundaryKind.None; // the two tokens share a character
        bool spaceAfter = char.IsWhiteSpace(text[at]), spaceBefore = at > 0 && char.IsWhiteSpace(text[at - 1]);
        if (!spaceAfter && !spaceBefore) return BoundaryKind.None;
        int before = at;
        while (before > 0 && char.IsWhiteSpace(text[before - 1])) before--;
        bool sentenceEnd = before > 0 && text[before - 1] is '.' or '!' or '?' or ';' or ':';
        bool lineBreak = text.AsSpan(before, at - before).Contains('\n') || text[at] == '\n';
        return sentenceEnd || lineBreak ? BoundaryKind.Sentence : BoundaryKind.Word;
    }

    private TokenSpan[] Spans(string text)
    {
        if (_tokenizer is BpeTokenizer bpe) return bpe.EncodeToSpans(text);
        int[] ids = _tokenizer.Encode(text);
        var spans = new TokenSpan[ids.Length];
        int position = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            string piece = _tokenizer.Decode(ids.AsSpan(i, 1));
            if (string.CompareOrdinal(text, position, piece, 0, piece.Length) != 0 || position + piece.Length > text.Length)
                throw new NotSupportedException(
                    $"token {i} of the text decodes to '{piece}', which is not the text at character {position}: this tokenizer's tokens do not map back to the text one by one, so chunks cannot be located in it. Use a BpeTokenizer or a CharTokenizer.");
            spans[i] = new TokenSpan(ids[i], position, piece.Length);
            position += piece.Length;
        }
        if (position != text.Length)
            throw new NotSupportedException($"the tokens decode to {position} of the text's {text.Length} characters; this tokenizer drops text, so chunks cannot be located in it.");
        return spans;
    }

    private enum BoundaryKind { None, Word, Sentence }
}

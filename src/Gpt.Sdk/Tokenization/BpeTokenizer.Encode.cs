using System.Buffers;
using System.Text;

namespace Gpt.Sdk.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>Encodes <paramref name="text"/>; special-token text in it is encoded as ordinary text.</summary>
    /// <param name="text">The text to encode. Lone UTF-16 surrogates are encoded as U+FFFD, as UTF-8 encoding defines.</param>
    public int[] Encode(string text) => Encode(text, allowSpecialTokens: false);

    /// <summary>Encodes <paramref name="text"/>, optionally turning special-token text into special tokens.</summary>
    /// <param name="text">The text to encode. Lone UTF-16 surrogates are encoded as U+FFFD, as UTF-8 encoding defines.</param>
    /// <param name="allowSpecialTokens">
    /// True to turn occurrences of <see cref="SpecialTokens"/> texts into their ids (trusted input such
    /// as prompt templates); false, the safe default for user text, encodes them as ordinary text.
    /// </param>
    public int[] Encode(string text, bool allowSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text.AsSpan(), allowSpecialTokens);
    }

    /// <summary>Encodes a span of text; see <see cref="Encode(string, bool)"/>.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="allowSpecialTokens">True to turn special-token text into special tokens.</param>
    public int[] Encode(ReadOnlySpan<char> text, bool allowSpecialTokens = false)
    {
        var sink = new IdSink(ArrayPool<int>.Shared.Rent(text.Length / 2 + 16)); // English takes ~4 characters a token
        try
        {
            EncodeCore(text, allowSpecialTokens, ref sink);
            return sink.Buffer.AsSpan(0, sink.Count).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sink.Buffer);
        }
    }

    /// <summary>Encodes <paramref name="text"/> and appends the ids to <paramref name="destination"/>, for callers that reuse one list.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="destination">The list the ids are appended to.</param>
    /// <param name="allowSpecialTokens">True to turn special-token text into special tokens.</param>
    /// <returns>The number of ids appended.</returns>
    public int EncodeInto(ReadOnlySpan<char> text, List<int> destination, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new ListSink(destination);
        int before = destination.Count;
        EncodeCore(text, allowSpecialTokens, ref sink);
        return destination.Count - before;
    }

    /// <summary>Number of tokens <paramref name="text"/> encodes to, without building the id array.</summary>
    /// <param name="text">The text to measure.</param>
    /// <param name="allowSpecialTokens">True to count special-token text as special tokens.</param>
    public int CountTokens(ReadOnlySpan<char> text, bool allowSpecialTokens = false)
    {
        var sink = new CountSink();
        EncodeCore(text, allowSpecialTokens, ref sink);
        return sink.Count;
    }

    /// <summary>Encodes <paramref name="text"/> and says which characters each token came from.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="allowSpecialTokens">True to turn special-token text into special tokens.</param>
    /// <returns>One <see cref="TokenSpan"/> per token, in order; the ids equal <see cref="Encode(string, bool)"/>'s.</returns>
    public TokenSpan[] EncodeToSpans(string text, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sink = new SpanSink(_tokenOffsets);
        EncodeCore(text, allowSpecialTokens, ref sink);
        return sink.Spans.ToArray();
    }

    /// <summary>
    /// Encodes many texts in parallel; result <c>i</c> is <c>Encode(texts[i], allowSpecialTokens)</c>.
    /// The texts share the piece cache, so a batch of similar texts gets faster as it goes.
    /// </summary>
    /// <param name="texts">The texts to encode.</param>
    /// <param name="allowSpecialTokens">True to turn special-token text into special tokens.</param>
    /// <param name="maxDegreeOfParallelism">Most texts encoded at once; -1 for one per core.</param>
    /// <param name="cancellationToken">Stops the batch; throws <see cref="OperationCanceledException"/>.</param>
    public int[][] EncodeBatch(IReadOnlyList<string> texts, bool allowSpecialTokens = false, int maxDegreeOfParallelism = -1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "use a positive count, or -1 for one per core.");
        for (int i = 0; i < texts.Count; i++)
            if (texts[i] is null) throw new ArgumentException($"texts[{i}] is null.", nameof(texts));

        var results = new int[texts.Count][];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0, texts.Count, options, i => results[i] = Encode(texts[i].AsSpan(), allowSpecialTokens));
        return results;
    }

    private void EncodeCore<TSink>(ReadOnlySpan<char> text, bool allowSpecialTokens, ref TSink sink) where TSink : struct, ITokenSink
    {
        var scratch = new MergeScratch();
        try
        {
            int offset = 0;
            if (allowSpecialTokens && _specialTokenSearch is not null)
            {
                int found;
                while ((found = text[offset..].IndexOfAny(_specialTokenSearch)) >= 0)
                {
                    int at = offset + found;
                    EncodeOrdinary(text[offset..at], offset, ref sink, ref scratch);
                    int length = LongestSpecialAt(text[at..], out int id);
                    sink.Special(id, at, length);
                    offset = at + length;
                }
            }
            EncodeOrdinary(text[offset..], offset, ref sink, ref scratch);
        }
        finally
        {
            scratch.Return();
        }
    }

    private void EncodeOrdinary<TSink>(ReadOnlySpan<char> text, int textOffset, ref TSink sink, ref MergeScratch scratch)
        where TSink : struct, ITokenSink
    {
        for (int start = 0, end; start < text.Length; start = end)
        {
            end = Gpt2PreTokenizer.PieceEnd(text, start);
            ReadOnlySpan<char> piece = text[start..end];
            ReadOnlySpan<int> cached = _cache.TryGet(piece, out int slot);
            if (!cached.IsEmpty)
            {
                sink.Piece(cached, piece, textOffset + start);
                continue;
            }
            ReadOnlySpan<int> merged = MergePiece(piece, ref scratch);
            _cache.Set(slot, piece, merged);
            sink.Piece(merged, piece, textOffset + start);
        }
    }

    private ReadOnlySpan<int> MergePiece(ReadOnlySpan<char> piece, ref MergeScratch scratch)
    {
        int maxBytes = piece.Length * 3;
        scratch.Ensure(maxBytes);
        int n = Encoding.UTF8.GetBytes(piece, scratch.Bytes);
        ReadOnlySpan<byte> bytes = scratch.Bytes.AsSpan(0, n);
        Span<int> ids = scratch.Ids.AsSpan(0, n);

        // tiktoken takes a piece that is itself a token as is, whatever the merges would do.
        if (_wholeTokens is not null && n > 1)
        {
            Span<char> spelling = scratch.Chars.AsSpan(0, n);
            for (int i = 0; i < n; i++) spelling[i] = ByteLevelAlphabet.ToChar(bytes[i]);
            if (_wholeTokens.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(spelling, out int whole))
            {
                ids[0] = whole;
                return ids[..1];
            }
        }

        for (int i = 0; i < n; i++) ids[i] = _byteToId[bytes[i]];
        return ids[..BytePairMerger.Merge(_mergeTable, ids)];
    }

    private int LongestSpecialAt(ReadOnlySpan<char> text, out int id)
    {
        int best = 0;
        id = -1;
        foreach (var (special, specialId) in _specialTokens)
        {
            if (special.Length > best && text.StartsWith(special, StringComparison.Ordinal))
            {
                best = special.Length;
                id = specialId;
            }
        }
        return best;
    }

    /// <summary>Receives an encode's output piece by piece; a struct so each use compiles to its own loop.</summary>
    private interface ITokenSink
    {
        void Piece(ReadOnlySpan<int> ids, ReadOnlySpan<char> piece, int pieceStart);
        void Special(int id, int start, int length);
    }

    private struct IdSink(int[] buffer) : ITokenSink
    {
        public int[] Buffer = buffer;
        public int Count;

        public void Piece(ReadOnlySpan<int> ids, ReadOnlySpan<char> piece, int pieceStart)
        {
            if (Count + ids.Length > Buffer.Length) Grow(ids.Length);
            if (ids.Length == 1) Buffer[Count] = ids[0];
            else ids.CopyTo(Buffer.AsSpan(Count));
            Count += ids.Length;
        }

        public void Special(int id, int start, int length) => Piece([id], default, start);

        private void Grow(int needed)
        {
            int[] larger = ArrayPool<int>.Shared.Rent(Math.Max(Buffer.Length * 2, Count + needed));
            Buffer.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<int>.Shared.Return(Buffer);
            Buffer = larger;
        }
    }

    private readonly struct ListSink(List<int> list) : ITokenSink
    {
        public void Piece(ReadOnlySpan<int> ids, ReadOnlySpan<char> piece, int pieceStart) => list.AddRange(ids);
        public void Special(int id, int start, int length) => list.Add(id);
    }

    private struct CountSink : ITokenSink
    {
        public int Count;
        public void Piece(ReadOnlySpan<int> ids, ReadOnlySpan<char> piece, int pieceStart) => Count += ids.Length;
        public void Special(int id, int start, int length) => Count++;
    }

    private readonly struct SpanSink(int[] tokenOffsets) : ITokenSink
    {
        public List<TokenSpan> Spans { get; } = new();

        public void Special(int id, int start, int length) => Spans.Add(new TokenSpan(id, start, length));

        // Walks the piece's characters alongside the tokens' byte lengths; a token that starts or ends
        // inside a character's UTF-8 bytes gets that whole character.
        public void Piece(ReadOnlySpan<int> ids, ReadOnlySpan<char> piece, int pieceStart)
        {
            int charIndex = 0, charByte = 0;     // the character at charIndex starts at byte charByte
            int tokenByte = 0;
            foreach (int id in ids)
            {
                int tokenEnd = tokenByte + tokenOffsets[id + 1] - tokenOffsets[id];
                int startChar = charIndex;
                while (true)
                {
                    int width = Utf8Width(piece, charIndex, out int bytes);
                    if (charByte + bytes > tokenByte) break;  // this character holds the token's first byte
                    charIndex += width;
                    charByte += bytes;
                    startChar = charIndex;
                }
                int endChar = charIndex, endByte = charByte;
                while (endByte < tokenEnd)
                {
                    endChar += Utf8Width(piece, endChar, out int bytes);
                    endByte += bytes;
                }
                Spans.Add(new TokenSpan(id, pieceStart + startChar, endChar - startChar));
                // The next token starts inside the last character when this one ended mid-character.
                if (endByte == tokenEnd)
                {
                    charIndex = endChar;
                    charByte = endByte;
                }
                tokenByte = tokenEnd;
            }
        }

        private static int Utf8Width(ReadOnlySpan<char> text, int index, out int bytes)
        {
            char c = text[index];
            if (c < 0x80) bytes = 1;
            else if (c < 0x800) bytes = 2;
            else if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            {
                bytes = 4;
                return 2;
            }
            else bytes = 3; // includes a lone surrogate, encoded as U+FFFD
            return 1;
        }
    }

    /// <summary>Buffers for merging one piece, rented on the first cache miss of an encode call.</summary>
    private struct MergeScratch
    {
        public byte[] Bytes;
        public int[] Ids;
        public char[] Chars;

        public void Ensure(int length)
        {
            if (Bytes is not null && Bytes.Length >= length) return;
            Return();
            length = Math.Max(length, 256);
            Bytes = ArrayPool<byte>.Shared.Rent(length);
            Ids = ArrayPool<int>.Shared.Rent(length);
            Chars = ArrayPool<char>.Shared.Rent(length);
        }

        public void Return()
        {
            if (Bytes is null) return;
            ArrayPool<byte>.Shared.Return(Bytes);
            ArrayPool<int>.Shared.Return(Ids);
            ArrayPool<char>.Shared.Return(Chars);
            Bytes = null!;
            Ids = null!;
            Chars = null!;
        }
    }
}

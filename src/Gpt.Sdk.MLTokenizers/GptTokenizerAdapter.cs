using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Gpt.Sdk.Tokenization;
using Microsoft.ML.Tokenizers;
using BpeTokenizer = Gpt.Sdk.Tokenization.BpeTokenizer; // not Microsoft.ML.Tokenizers.BpeTokenizer, its own (Hugging Face JSON) BPE

namespace Gpt.Sdk.MLTokenizers;

/// <summary>
/// Gpt.Sdk's byte-level BPE tokenizer (<see cref="Gpt.Sdk.Tokenization.BpeTokenizer"/>) as a
/// <see cref="Tokenizer"/> of Microsoft.ML.Tokenizers, the type .NET text chunkers and token counters take. Every id,
/// count and offset comes from the SDK's own encoder, so they equal what the SDK's models are trained and run on
/// (tiktoken's ids for GPT-2). Create one with <see cref="MLTokenizerExtensions.AsMLTokenizer"/>. Immutable and
/// thread-safe, like the tokenizer it wraps.
/// </summary>
/// <remarks>
/// GPT-2's split of text into pieces is part of its encoding, not a separate step, and it has no normalizer:
/// <see cref="EncodeSettings.ConsiderPreTokenization"/> and <see cref="EncodeSettings.ConsiderNormalization"/> change
/// nothing, <see cref="EncodeResults{T}.NormalizedText"/> is always null and offsets index the text as given. A token
/// that holds only part of a character's UTF-8 bytes (one emoji split over two tokens) gets the whole character as its
/// offset, so neighbouring tokens can share it; a limit on the token count never separates such tokens, so the text
/// is never cut inside a character. A limit may still cut inside a word, as with every BPE tokenizer: the text before
/// the cut can encode to other ids than the tokens it was cut after.
/// </remarks>
public sealed class GptTokenizerAdapter : Tokenizer
{
    internal GptTokenizerAdapter(BpeTokenizer tokenizer, bool allowSpecialTokens)
    {
        InnerTokenizer = tokenizer;
        AllowSpecialTokens = allowSpecialTokens;
    }

    /// <summary>The SDK tokenizer whose ids this adapter gives.</summary>
    public BpeTokenizer InnerTokenizer { get; }

    /// <summary>
    /// True when special-token text in the input (<c>&lt;|endoftext|&gt;</c>) becomes the special token, for trusted text
    /// such as prompt templates; false, the safe default for user text, encodes it as ordinary text.
    /// </summary>
    public bool AllowSpecialTokens { get; }

    /// <inheritdoc />
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string source = text ?? textSpan.ToString();
        TokenSpan[] spans = InnerTokenizer.EncodeToSpans(source, AllowSpecialTokens);
        int count = FittingPrefix(spans, MaxTokenCount(settings));
        var tokens = new EncodedToken[count];
        for (int i = 0; i < count; i++)
        {
            TokenSpan span = spans[i];
            tokens[i] = new EncodedToken(span.Id, source.Substring(span.Start, span.Length), new Range(span.Start, span.End));
        }
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = PrefixEnd(spans, count) };
    }

    /// <inheritdoc />
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> source = text is null ? textSpan : text.AsSpan();
        int maxTokenCount = MaxTokenCount(settings);
        if (maxTokenCount == int.MaxValue)
            return new EncodeResults<int> { Tokens = InnerTokenizer.Encode(source, AllowSpecialTokens), NormalizedText = null, CharsConsumed = source.Length };

        TokenSpan[] spans = InnerTokenizer.EncodeToSpans(text ?? textSpan.ToString(), AllowSpecialTokens);
        int count = FittingPrefix(spans, maxTokenCount);
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = spans[i].Id;
        return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = PrefixEnd(spans, count) };
    }

    /// <inheritdoc />
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> source = text is null ? textSpan : text.AsSpan();
        int maxTokenCount = MaxTokenCount(settings);
        if (maxTokenCount == int.MaxValue) return InnerTokenizer.CountTokens(source, AllowSpecialTokens);
        return FittingPrefix(InnerTokenizer.EncodeToSpans(text ?? textSpan.ToString(), AllowSpecialTokens), maxTokenCount);
    }

    /// <inheritdoc />
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd,
        out string? normalizedText, out int tokenCount)
    {
        normalizedText = null;
        int maxTokenCount = MaxTokenCount(settings);
        string source = text ?? textSpan.ToString();
        TokenSpan[] spans = InnerTokenizer.EncodeToSpans(source, AllowSpecialTokens);
        if (!fromEnd)
        {
            tokenCount = FittingPrefix(spans, maxTokenCount);
            return PrefixEnd(spans, tokenCount);
        }
        tokenCount = FittingSuffix(spans, maxTokenCount);
        return tokenCount == 0 ? source.Length : spans[^tokenCount].Start;
    }

    /// <summary>
    /// The text of <paramref name="ids"/>, exactly <see cref="BpeTokenizer.Decode(ReadOnlySpan{int})"/>'s: bytes that do
    /// not form a whole character become U+FFFD.
    /// </summary>
    /// <param name="ids">Token ids of this vocabulary.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this vocabulary; the message names it.</exception>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids switch
        {
            int[] array => InnerTokenizer.Decode(array),
            List<int> list => InnerTokenizer.Decode(CollectionsMarshal.AsSpan(list)),
            _ => InnerTokenizer.Decode(ids.ToArray()),
        };
    }

    /// <summary>
    /// Decodes <paramref name="ids"/> into <paramref name="destination"/>: the same text as <see cref="Decode(IEnumerable{int})"/>
    /// once it returns <see cref="OperationStatus.Done"/>. On <see cref="OperationStatus.DestinationTooSmall"/> or
    /// <see cref="OperationStatus.InvalidData"/> (an id outside the vocabulary), <paramref name="idsConsumed"/> and
    /// <paramref name="charsWritten"/> cover whole characters only: decoding the remaining ids continues the text.
    /// </summary>
    /// <param name="ids">Token ids of this vocabulary.</param>
    /// <param name="destination">Receives the text.</param>
    /// <param name="idsConsumed">Number of leading ids whose text is complete in <paramref name="destination"/>.</param>
    /// <param name="charsWritten">Number of characters of that text.</param>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = charsWritten = 0;
        Decoder decoder = Encoding.UTF8.GetDecoder(); // replaces bytes that form no character with U+FFFD, as BpeTokenizer.Decode does
        int written = 0, seen = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> bytes;
            try
            {
                bytes = InnerTokenizer.GetTokenBytes(id);
            }
            catch (ArgumentOutOfRangeException)
            {
                return OperationStatus.InvalidData; // outside the vocabulary, or an id a sparse vocabulary leaves unassigned
            }
            if (written + decoder.GetCharCount(bytes, flush: false) > destination.Length) return OperationStatus.DestinationTooSmall;
            written += decoder.GetChars(bytes, destination[written..], flush: false);
            seen++;
            // The decoder holds the first bytes of a character that a later token finishes exactly when flushing now
            // would write something (a U+FFFD); Convert's `completed` does not say so.
            if (decoder.GetCharCount([], flush: true) == 0)
            {
                idsConsumed = seen;
                charsWritten = written;
            }
        }
        if (written + decoder.GetCharCount([], flush: true) > destination.Length) return OperationStatus.DestinationTooSmall;
        idsConsumed = seen;
        charsWritten = written + decoder.GetChars([], destination[written..], flush: true);
        return OperationStatus.Done;
    }

    private static int MaxTokenCount(EncodeSettings settings) => settings.MaxTokenCount > 0
        ? settings.MaxTokenCount
        : throw new ArgumentOutOfRangeException(nameof(settings), settings.MaxTokenCount, "MaxTokenCount must be greater than zero.");

    // The most leading tokens, at most maxTokenCount, that end on a character boundary: tokens that share a character
    // are taken together or not at all.
    private static int FittingPrefix(TokenSpan[] spans, int maxTokenCount)
    {
        int count = Math.Min(maxTokenCount, spans.Length);
        while (count > 0 && count < spans.Length && spans[count].Start < spans[count - 1].End) count--;
        return count;
    }

    // The same from the end: the most trailing tokens whose first one starts on a character boundary.
    private static int FittingSuffix(TokenSpan[] spans, int maxTokenCount)
    {
        int count = Math.Min(maxTokenCount, spans.Length);
        while (count > 0 && count < spans.Length && spans[^(count + 1)].End > spans[^count].Start) count--;
        return count;
    }

    private static int PrefixEnd(TokenSpan[] spans, int count) => count == 0 ? 0 : spans[count - 1].End;
}

using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// Turns a stream of token ids into text as they arrive, never emitting a broken character: a token
/// that ends inside a multi-byte UTF-8 character (half an emoji) yields only the text before it, and
/// the rest follows with the token that completes the character. The pieces concatenated, plus
/// <see cref="Flush"/>, equal <see cref="BpeTokenizer.Decode"/> of all the ids. One per stream; not
/// thread-safe. Create with <see cref="BpeTokenizer.CreateStreamingDecoder"/>.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly BpeTokenizer _tokenizer;
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();

    internal StreamingDecoder(BpeTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>True while bytes of an incomplete character are held back.</summary>
    public bool HasPendingBytes => _utf8.GetCharCount([], flush: true) != 0; // a flush would turn them into U+FFFD

    /// <summary>Adds one token and returns the text it completes; empty while a character is still incomplete.</summary>
    /// <param name="tokenId">A token id of the tokenizer this decoder came from.</param>
    public string Append(int tokenId) => Convert(_tokenizer.GetTokenBytes(tokenId), flush: false);

    /// <summary>Adds several tokens and returns the text they complete.</summary>
    /// <param name="tokenIds">Token ids of the tokenizer this decoder came from.</param>
    public string Append(ReadOnlySpan<int> tokenIds) => Convert(_tokenizer.DecodeToBytes(tokenIds), flush: false);

    /// <summary>Ends the stream: held-back bytes of an incomplete character become U+FFFD. The decoder is then empty.</summary>
    public string Flush() => Convert([], flush: true);

    /// <summary>Forgets held-back bytes, to reuse the decoder for a new stream.</summary>
    public void Reset() => _utf8.Reset();

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _utf8.GetCharCount(bytes, flush);
        Span<char> chars = count <= 256 ? stackalloc char[count] : new char[count];
        int written = _utf8.GetChars(bytes, chars, flush);
        return written == 0 ? string.Empty : new string(chars[..written]);
    }
}

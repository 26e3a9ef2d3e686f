using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Turns generated token ids into text as they come, never splitting a character: the BPE tokenizer's
/// <see cref="StreamingDecoder"/> holds back the bytes of an unfinished UTF-8 character; any other
/// <see cref="ITokenizer"/> (e.g. one token per UTF-16 unit) has its pending ids decoded together and
/// held while they end in half a surrogate pair or in U+FFFD (bytes still incomplete). The pieces
/// concatenated, plus <see cref="Flush"/>, equal decoding all the ids at once.
/// </summary>
internal sealed class TokenTextStream
{
    private readonly ITokenizer _tokenizer;
    private readonly StreamingDecoder? _decoder;
    private readonly List<int> _pending = [];

    public TokenTextStream(ITokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        _decoder = (tokenizer as BpeTokenizer)?.CreateStreamingDecoder();
    }

    /// <summary>The text <paramref name="id"/> completes (empty while a character is unfinished).</summary>
    public string Append(int id)
    {
        if (_decoder is not null) return _decoder.Append(id);
        _pending.Add(id);
        string text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        if (text.Length > 0 && (char.IsHighSurrogate(text[^1]) || text[^1] == '\uFFFD')) return string.Empty;
        _pending.Clear();
        return text;
    }

    /// <summary>Whatever is held back, as text (an unfinished character becomes U+FFFD).</summary>
    public string Flush()
    {
        if (_decoder is not null) return _decoder.Flush();
        var text = _pending.Count == 0 ? string.Empty : _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }
}

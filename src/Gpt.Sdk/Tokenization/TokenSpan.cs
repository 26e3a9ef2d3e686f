namespace Gpt.Sdk.Tokenization;

/// <summary>
/// One token of an encoded text and the characters it came from: <c>text.Substring(Start, Length)</c>.
/// When a token begins or ends inside a character (the UTF-8 bytes of one emoji or CJK character
/// split over two tokens), its range is widened to that whole character, so neighbouring tokens can
/// share it.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Start">Index of the first UTF-16 unit of the token's text.</param>
/// <param name="Length">Number of UTF-16 units of the token's text.</param>
public readonly record struct TokenSpan(int Id, int Start, int Length)
{
    /// <summary>Index just past the token's text.</summary>
    public int End => Start + Length;
}

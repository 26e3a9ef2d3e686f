namespace Gpt.Sdk.Retrieval;

/// <summary>One piece of a document cut by <see cref="TextChunker"/>.</summary>
/// <param name="DocumentId">The document it comes from.</param>
/// <param name="Index">Its position among the document's chunks, from 0.</param>
/// <param name="Text">The characters its tokens came from: <c>document.Substring(CharStart, CharLength)</c>, which is
/// the decoded token span (a character whose bytes two tokens share is kept whole).</param>
/// <param name="TokenStart">Index of its first token in the document's tokens.</param>
/// <param name="TokenCount">Its number of tokens.</param>
/// <param name="CharStart">Index of its first character in the document.</param>
/// <param name="CharLength">Its number of characters (UTF-16 units).</param>
public sealed record TextChunk(string DocumentId, int Index, string Text, int TokenStart, int TokenCount, int CharStart, int CharLength)
{
    /// <summary>Index just past its last token in the document's tokens.</summary>
    public int TokenEnd => TokenStart + TokenCount;

    /// <summary>Index just past its last character in the document.</summary>
    public int CharEnd => CharStart + CharLength;
}

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// A tokenizer file could not be read: bad JSON, a merge naming an unknown token, a duplicate rank,
/// bad base64, a vocabulary without all 256 byte tokens. Says which file and, when it is about one
/// line, which line.
/// </summary>
public sealed class TokenizerFormatException : FormatException
{
    /// <summary>Creates the exception; the message is prefixed with <c>file:line: </c>.</summary>
    /// <param name="fileName">The file that is malformed.</param>
    /// <param name="lineNumber">The 1-based line at fault, or null when the problem is not on one line.</param>
    /// <param name="problem">What is wrong and, where it helps, what to do about it.</param>
    /// <param name="innerException">The parser error behind this one, if any.</param>
    public TokenizerFormatException(string fileName, int? lineNumber, string problem, Exception? innerException = null)
        : base(lineNumber is int line ? $"{fileName}:{line}: {problem}" : $"{fileName}: {problem}", innerException)
    {
        FileName = fileName;
        LineNumber = lineNumber;
    }

    /// <summary>The file that is malformed, as it was given.</summary>
    public string FileName { get; }

    /// <summary>The 1-based line at fault, or null when the problem is about the file as a whole.</summary>
    public int? LineNumber { get; }
}

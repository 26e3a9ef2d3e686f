namespace Gpt.Sdk.Training;

/// <summary>
/// Training data that cannot be used (fine-tuning examples, preference pairs, PPO prompts): malformed JSON, a line
/// matching no known format, a missing or non-string field, an unknown chat role, an example with nothing to learn, a
/// preference whose chosen and rejected responses are the same, one longer than the context (when refused), or a file
/// with no examples. The message starts with <c>file:line: </c>
/// (or <c>example N: </c> for in-memory examples), says what is wrong and what to do.
/// </summary>
/// <remarks>A <see cref="FormatException"/>, like <see cref="Tokenization.TokenizerFormatException"/>, so code
/// that handles unreadable input in general catches it too.</remarks>
public sealed class TrainingDataException : FormatException
{
    /// <summary>Creates the exception; the message is prefixed with where the problem is.</summary>
    /// <param name="fileName">The data file as it was given, or null for in-memory examples.</param>
    /// <param name="lineNumber">The 1-based line of the file (or 1-based index of an in-memory example) at fault,
    /// or null when the problem is about the data as a whole.</param>
    /// <param name="problem">What is wrong and what to do about it.</param>
    /// <param name="innerException">The parser or tokenizer error behind this one, if any.</param>
    public TrainingDataException(string? fileName, int? lineNumber, string problem, Exception? innerException = null)
        : base(Locate(fileName, lineNumber) + problem, innerException)
    {
        FileName = fileName;
        LineNumber = lineNumber;
    }

    /// <summary>The data file, or null for in-memory examples.</summary>
    public string? FileName { get; }

    /// <summary>The 1-based line (or in-memory example index) at fault, or null when the problem is about the whole data.</summary>
    public int? LineNumber { get; }

    private static string Locate(string? fileName, int? lineNumber) => (fileName, lineNumber) switch
    {
        (not null, int line) => $"{fileName}:{line}: ",
        (not null, null) => $"{fileName}: ",
        (null, int line) => $"example {line}: ",
        _ => "",
    };
}

using System.Text.Json;

namespace Gpt.Sdk.IO;

/// <summary>
/// A model file (safetensors weights, <c>config.json</c>, a checkpoint) that cannot be used as it is:
/// truncated, corrupt, or describing something the SDK does not support. The message names the file,
/// the entry at fault when there is one, what is wrong, and what to do about it.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (not an <see cref="InvalidDataException"/>, which is sealed), so code
/// that handles unreadable files in general catches it too.
/// </remarks>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="message">What is wrong and what to do; the file is named by the caller's message.</param>
    /// <param name="entryName">The tensor or key at fault, if one is.</param>
    /// <param name="innerException">The lower-level error that revealed the problem, if any.</param>
    public ModelFileException(string filePath, string message, string? entryName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        EntryName = entryName;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor or key at fault, or <see langword="null"/> when the problem concerns the whole file.</summary>
    public string? EntryName { get; }

    /// <summary>A JSON syntax error as "line L, byte B: what", 1-based, without System.Text.Json's 0-based suffix.</summary>
    internal static string DescribeJsonError(JsonException error)
    {
        string message = error.Message;
        int suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        return $"line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1}: {message.TrimEnd('.')}";
    }
}

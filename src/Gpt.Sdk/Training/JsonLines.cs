using System.Text.Json;

namespace Gpt.Sdk.Training;

/// <summary>
/// Reads training data files of one JSON object per line (blank lines skipped): fine-tuning examples, preference pairs,
/// PPO prompts. Every problem is a <see cref="TrainingDataException"/> naming the file and line.
/// </summary>
internal static class JsonLines
{
    /// <summary>Builds the exception for a problem on the current line.</summary>
    public delegate TrainingDataException Problem(string problem, Exception? innerException = null);

    /// <summary>The items of <paramref name="path"/> with their 1-based line numbers, read lazily.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="formats">What a line must look like, appended to syntax errors (e.g. <c>each line must be ...</c>).</param>
    /// <param name="parse">Turns one line's object into an item, reporting problems through the delegate it is given.</param>
    /// <param name="cancellationToken">Cancels between lines.</param>
    public static IEnumerable<(T Item, int Line)> Read<T>(string path, string formats, Func<JsonElement, Problem, T> parse, CancellationToken cancellationToken)
    {
        int lineNumber = 0;
        // StreamReader strips a UTF-8 byte-order mark, which some editors write.
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            cancellationToken.ThrowIfCancellationRequested();
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return (ParseLine(line, path, lineNumber, formats, parse), lineNumber);
        }
    }

    /// <summary>The string field <paramref name="name"/> of <paramref name="element"/>.</summary>
    public static string String(JsonElement element, string name, Problem problem)
    {
        if (!element.TryGetProperty(name, out var value))
            throw problem($"the field \"{name}\" is missing; give it as a string.");
        if (value.ValueKind != JsonValueKind.String)
            throw problem($"the field \"{name}\" is a JSON {Kind(value.ValueKind)}; it must be a string.");
        return value.GetString()!;
    }

    /// <summary>A JSON value kind as prose ("object", "array", ...).</summary>
    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static T ParseLine<T>(string line, string path, int lineNumber, string formats, Func<JsonElement, Problem, T> parse)
    {
        TrainingDataException Fault(string problem, Exception? inner = null) => new(path, lineNumber, problem, inner);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Fault($"not valid JSON ({Describe(e)}); {formats}.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fault($"found a JSON {Kind(root.ValueKind)}, not an object; {formats}.");
            return parse(root, Fault);
        }
    }

    /// <summary>A JSON syntax error as "byte B: what", without System.Text.Json's 0-based position suffix
    /// (the line is the file's, given by the caller).</summary>
    private static string Describe(JsonException error)
    {
        string message = error.Message;
        int suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0) message = message[..suffix];
        return $"byte {error.BytePositionInLine + 1}: {message.TrimEnd('.', ' ')}";
    }
}

using System.Text.Json;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Reads multiple-choice benchmarks in JSON Lines, one item per line:
/// <c>{"context": "…", "choices": ["…", "…"], "answer": 0}</c> (other fields are ignored, blank lines skipped).
/// A bad line is refused with the file and its 1-based line number.
/// </summary>
public static class MultipleChoiceData
{
    /// <summary>Reads every item of a JSONL file.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">A line is not valid JSON, lacks a field, has no choices or an answer out of range.</exception>
    public static IReadOnlyList<MultipleChoiceItem> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads every item from <paramref name="reader"/>.</summary>
    /// <param name="reader">JSON Lines text.</param>
    /// <param name="source">Names the source in error messages (usually its path).</param>
    /// <exception cref="InvalidDataException">A line is not valid JSON, lacks a field, has no choices or an answer out of range.</exception>
    public static IReadOnlyList<MultipleChoiceItem> Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var items = new List<MultipleChoiceItem>();
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) items.Add(Parse(line, $"{source}:{number}"));
        }

        return items;
    }

    private static MultipleChoiceItem Parse(string line, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: not valid JSON ({e.Message}); each line must be one object " +
                "{\"context\": \"…\", \"choices\": [\"…\"], \"answer\": 0}.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where}: expected a JSON object {{\"context\", \"choices\", \"answer\"}}, found {root.ValueKind}.");
            string context = Field(root, "context", JsonValueKind.String, where).GetString()!;
            var choicesElement = Field(root, "choices", JsonValueKind.Array, where);
            var choices = new List<string>();
            foreach (var choice in choicesElement.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{where}: \"choices\" must hold strings; choice {choices.Count} is {choice.ValueKind}.");
                choices.Add(choice.GetString()!);
            }

            if (choices.Count == 0) throw new InvalidDataException($"{where}: \"choices\" is empty; give at least one choice.");
            var answerElement = Field(root, "answer", JsonValueKind.Number, where);
            if (!answerElement.TryGetInt32(out int answer))
                throw new InvalidDataException($"{where}: \"answer\" must be a whole number, the 0-based index of the correct choice; found {answerElement.GetRawText()}.");
            if (answer < 0 || answer >= choices.Count)
                throw new InvalidDataException($"{where}: \"answer\" {answer} is out of range; it is the 0-based index of the correct choice, 0 to {choices.Count - 1}.");
            return new MultipleChoiceItem(context, choices, answer);
        }
    }

    private static JsonElement Field(JsonElement root, string name, JsonValueKind kind, string where)
    {
        if (!root.TryGetProperty(name, out var value))
            throw new InvalidDataException($"{where}: missing field \"{name}\"; each line needs \"context\", \"choices\" and \"answer\".");
        if (value.ValueKind != kind)
            throw new InvalidDataException($"{where}: \"{name}\" must be a {kind.ToString().ToLowerInvariant()}, found {value.ValueKind.ToString().ToLowerInvariant()}.");
        return value;
    }
}

using System.Text.Json;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Reads questions and answers from JSONL: one object per line, <c>{"question": "...", "answer": "..."[, "solution": "..."]}</c>
/// (an answer may also be a JSON number; other fields are ignored; blank lines are skipped). The format of GSM8K-style
/// sets once the answer is split from its solution.
/// </summary>
public static class QuestionAnswerFile
{
    private const string Format = "each line must be one JSON object {\"question\": \"...\", \"answer\": \"...\"} with an optional \"solution\": \"...\"";

    /// <summary>Reads every item of <paramref name="path"/>.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="requireSolutions">Refuse items without a solution (chain-of-thought exemplars need one).</param>
    /// <exception cref="InvalidDataException">A line is not such an object; the message names the file and the 1-based line.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyList<QuestionAnswer> Read(string path, bool requireSolutions = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file; give a JSONL file of {{\"question\", \"answer\"}} objects.", path);
        var items = new List<QuestionAnswer>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            items.Add(Parse(line, path, lineNumber, requireSolutions));
        }
        if (items.Count == 0) throw new InvalidDataException($"{path}: the file has no items; {Format}.");
        return items;
    }

    private static QuestionAnswer Parse(string line, string path, int lineNumber, bool requireSolution)
    {
        InvalidDataException Problem(string problem, Exception? inner = null) => new($"{path}:{lineNumber}: {problem}", inner);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Problem($"not valid JSON ({e.Message}); {Format}.", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Problem($"found a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object; {Format}.");
            string question = Text(root, "question", allowNumber: false, Problem)
                ?? throw Problem($"the object has no \"question\"; {Format}.");
            string answer = Text(root, "answer", allowNumber: true, Problem)
                ?? throw Problem($"the object has no \"answer\"; {Format}.");
            if (string.IsNullOrWhiteSpace(question)) throw Problem("the question is empty.");
            if (string.IsNullOrWhiteSpace(answer)) throw Problem("the answer is empty.");
            string? solution = Text(root, "solution", allowNumber: false, Problem);
            if (requireSolution && string.IsNullOrWhiteSpace(solution))
                throw Problem("the item has no \"solution\"; chain-of-thought exemplars need a worked solution, so add one or drop --cot.");
            return new QuestionAnswer(question, answer, solution);
        }
    }

    private static string? Text(JsonElement root, string name, bool allowNumber, Func<string, Exception?, InvalidDataException> problem)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (allowNumber && value.ValueKind == JsonValueKind.Number) return value.GetRawText();
        throw problem($"\"{name}\" is a JSON {value.ValueKind.ToString().ToLowerInvariant()}; it must be a string{(allowNumber ? " or a number" : "")}.", null);
    }
}

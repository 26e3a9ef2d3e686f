using System.Text.Json;

namespace Gpt.Sdk.Training;

/// <summary>
/// Reads a JSONL file of preferences, one JSON object per line: a pair <c>{"prompt", "chosen", "rejected"}</c> (TRL's
/// preference format) or a ranked list <c>{"prompt", "responses": [best, ..., worst]}</c>. Other fields are ignored;
/// fields of both formats on one line are refused as ambiguous.
/// </summary>
internal static class PreferenceJsonLines
{
    private const string Formats =
        "each line must be one JSON object: {\"prompt\": \"...\", \"chosen\": \"...\", \"rejected\": \"...\"} " +
        "or {\"prompt\": \"...\", \"responses\": [\"best\", \"...\", \"worst\"]}";

    /// <summary>The examples of <paramref name="path"/> with their 1-based line numbers, read lazily.</summary>
    public static IEnumerable<(PreferenceExample Example, int Line)> Read(string path, CancellationToken cancellationToken) =>
        JsonLines.Read(path, Formats, Parse, cancellationToken);

    private static PreferenceExample Parse(JsonElement root, JsonLines.Problem problem)
    {
        bool pair = root.TryGetProperty("chosen", out _) || root.TryGetProperty("rejected", out _);
        bool ranked = root.TryGetProperty("responses", out var responses);
        if (pair && ranked)
            throw problem($"the object has both \"chosen\"/\"rejected\" and \"responses\", so it is ambiguous; {Formats}, one format per line.");
        if (!pair && !ranked)
        {
            string fields = string.Join(", ", root.EnumerateObject().Select(p => $"\"{p.Name}\""));
            throw problem($"the object matches no format (its fields: {(fields.Length == 0 ? "none" : fields)}); {Formats}.");
        }

        string prompt = JsonLines.String(root, "prompt", problem);
        if (pair)
        {
            foreach (string name in new[] { "chosen", "rejected" })
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array)
                    throw problem($"\"{name}\" is a list of messages (TRL's conversational format), which is not supported; give the response as a string.");
            return PreferenceExample.Pair(prompt, JsonLines.String(root, "chosen", problem), JsonLines.String(root, "rejected", problem));
        }

        if (responses.ValueKind != JsonValueKind.Array)
            throw problem($"\"responses\" is a JSON {JsonLines.Kind(responses.ValueKind)}; it must be an array of strings, best first.");
        var texts = new List<string>();
        foreach (var response in responses.EnumerateArray())
        {
            if (response.ValueKind != JsonValueKind.String)
                throw problem($"response {texts.Count + 1} is a JSON {JsonLines.Kind(response.ValueKind)}; every response must be a string.");
            texts.Add(response.GetString()!);
        }
        return new PreferenceExample(prompt, texts);
    }
}

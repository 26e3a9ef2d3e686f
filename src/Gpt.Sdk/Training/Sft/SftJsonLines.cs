using System.Text.Json;
using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Training;

/// <summary>
/// Reads a JSONL file of fine-tuning examples, one JSON object per line (blank lines skipped), each
/// recognised by its fields: <c>prompt</c>/<c>completion</c>, <c>messages</c>, or
/// <c>input</c>/<c>instruction</c>/<c>output</c>. Other fields (an id, metadata) are ignored, but fields of
/// two formats on one line are refused as ambiguous.
/// </summary>
internal static class SftJsonLines
{
    private const string Formats =
        "each line must be one JSON object: {\"prompt\": \"...\", \"completion\": \"...\"}, " +
        "{\"messages\": [{\"role\": \"user\", \"content\": \"...\"}, {\"role\": \"assistant\", \"content\": \"...\"}]}, " +
        "or {\"input\": \"...\", \"instruction\": \"...\", \"output\": \"...\"}";

    /// <summary>The examples of <paramref name="path"/> with their 1-based line numbers, read lazily.</summary>
    public static IEnumerable<(SftExample Example, int Line)> Read(string path, CancellationToken cancellationToken) =>
        JsonLines.Read(path, Formats, Parse, cancellationToken);

    private static SftExample Parse(JsonElement root, JsonLines.Problem problem)
    {
        bool chat = root.TryGetProperty("messages", out _);
        bool promptCompletion = root.TryGetProperty("prompt", out _) || root.TryGetProperty("completion", out _);
        bool edit = root.TryGetProperty("input", out _) || root.TryGetProperty("instruction", out _) || root.TryGetProperty("output", out _);
        int formats = (chat ? 1 : 0) + (promptCompletion ? 1 : 0) + (edit ? 1 : 0);
        if (formats == 0)
        {
            string fields = string.Join(", ", root.EnumerateObject().Select(p => $"\"{p.Name}\""));
            throw problem($"the object matches no format (its fields: {(fields.Length == 0 ? "none" : fields)}); {Formats}.");
        }
        if (formats > 1)
        {
            string[] found = [.. new[] { (promptCompletion, "prompt/completion"), (chat, "messages"), (edit, "input/instruction/output") }
                .Where(f => f.Item1).Select(f => f.Item2)];
            throw problem($"the object has fields of more than one format ({string.Join(" and ", found)}), so it is ambiguous; {Formats}, one format per line.");
        }

        if (promptCompletion) return new PromptCompletionExample(JsonLines.String(root, "prompt", problem), JsonLines.String(root, "completion", problem));
        if (edit) return new EditExample(JsonLines.String(root, "input", problem), JsonLines.String(root, "instruction", problem), JsonLines.String(root, "output", problem));
        return Chat(root.GetProperty("messages"), problem);
    }

    private static ChatExample Chat(JsonElement messages, JsonLines.Problem problem)
    {
        if (messages.ValueKind != JsonValueKind.Array)
            throw problem($"\"messages\" is a JSON {JsonLines.Kind(messages.ValueKind)}; it must be an array of {{\"role\": ..., \"content\": ...}} objects.");
        var turns = new List<ChatTurn>();
        List<int>? weights = null;
        foreach (var message in messages.EnumerateArray())
        {
            int index = turns.Count + 1;
            if (message.ValueKind != JsonValueKind.Object)
                throw problem($"message {index} is a JSON {JsonLines.Kind(message.ValueKind)}; each message must be an object {{\"role\": ..., \"content\": ...}}.");
            string role = JsonLines.String(message, "role", (p, e) => problem($"message {index}: {p}", e));
            var speaker = role switch
            {
                "system" => ChatSpeaker.System,
                "user" => ChatSpeaker.User,
                "assistant" => ChatSpeaker.Assistant,
                _ => throw problem($"message {index} has role \"{role}\"; the roles are \"system\", \"user\" and \"assistant\" (tool and function messages are not supported).", null),
            };
            string content = JsonLines.String(message, "content", (p, e) => problem($"message {index}: {p}", e));
            turns.Add(new ChatTurn(speaker, content));
            int weight = 1;
            if (message.TryGetProperty("weight", out var w))
            {
                if (speaker != ChatSpeaker.Assistant)
                    throw problem($"message {index} is a {role} message with a \"weight\"; only assistant messages carry one (it says whether the reply is learned).");
                if (w.ValueKind != JsonValueKind.Number || !w.TryGetInt32(out weight) || weight is not (0 or 1))
                    throw problem($"message {index} has weight {w.GetRawText()}; a weight is 0 (do not learn the message) or 1 (learn it).");
                weights ??= [.. Enumerable.Repeat(1, turns.Count - 1)];
            }
            weights?.Add(weight);
        }
        return new ChatExample(turns) { Weights = weights };
    }
}

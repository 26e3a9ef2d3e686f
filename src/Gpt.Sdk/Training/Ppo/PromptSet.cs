using System.Text.Json;

namespace Gpt.Sdk.Training;

/// <summary>
/// The prompts PPO samples responses to: from a JSONL file, one <c>{"prompt": "..."}</c> a line (blank lines skipped, other
/// fields ignored), or from strings. Empty prompts are refused with where they are; whether each fits the model's context
/// with the response budget is checked by the trainer, which knows both (<see cref="Locate"/> names the line then).
/// </summary>
public sealed class PromptSet
{
    private readonly string[] _texts;
    private readonly int[]? _lines;

    private PromptSet(string[] texts, string? fileName, int[]? lines)
    {
        _texts = texts;
        FileName = fileName;
        _lines = lines;
    }

    /// <summary>The prompts, in file order.</summary>
    public IReadOnlyList<string> Texts => _texts;

    /// <summary>Number of prompts.</summary>
    public int Count => _texts.Length;

    /// <summary>The file the prompts came from, or null.</summary>
    public string? FileName { get; }

    /// <summary>Reads a JSONL file of <c>{"prompt": "..."}</c> lines.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="TrainingDataException">A line is not such an object or its prompt is empty, or the file has no prompt;
    /// the message starts with <c>file:line:</c>.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static PromptSet Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"there is no prompt file '{path}'; give a JSONL file with one {{\"prompt\": \"...\"}} a line.", path);
        var texts = new List<string>();
        var lines = new List<int>();
        foreach (var (text, line) in JsonLines.Read(path, Format, Parse, CancellationToken.None))
        {
            texts.Add(text);
            lines.Add(line);
        }
        if (texts.Count == 0) throw new TrainingDataException(path, null, "the file holds no prompts; write one {\"prompt\": \"...\"} a line.");
        return new PromptSet([.. texts], path, [.. lines]);
    }

    /// <summary>Prompts given as strings.</summary>
    /// <param name="prompts">At least one non-empty prompt.</param>
    /// <exception cref="TrainingDataException">A prompt is empty or there are none.</exception>
    public static PromptSet FromTexts(IEnumerable<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        string[] texts = [.. prompts];
        if (texts.Length == 0) throw new TrainingDataException(null, null, "no prompts were given; PPO needs at least one prompt to sample responses to.");
        for (int i = 0; i < texts.Length; i++)
            if (string.IsNullOrEmpty(texts[i])) throw new TrainingDataException(null, i + 1, "the prompt is empty; every prompt needs some text to respond to.");
        return new PromptSet(texts, null, null);
    }

    /// <summary>Where prompt <paramref name="index"/> came from, for messages: <c>file:line</c> or <c>prompt N</c>.</summary>
    /// <param name="index">0-based index into <see cref="Texts"/>.</param>
    public string Locate(int index) => _lines is null ? $"prompt {index + 1}" : $"{FileName}:{_lines[index]}";

    internal TrainingDataException Problem(int index, string problem) => new(FileName, _lines?[index] ?? index + 1, problem);

    private const string Format = "each line must be one JSON object {\"prompt\": \"...\"}";

    private static string Parse(JsonElement root, JsonLines.Problem problem)
    {
        string text = JsonLines.String(root, "prompt", problem);
        if (text.Length == 0) throw problem("the prompt is empty; every prompt needs some text to respond to.");
        return text;
    }
}

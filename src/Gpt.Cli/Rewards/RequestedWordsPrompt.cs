using System.Text.RegularExpressions;

namespace Gpt.Cli.Rewards;

/// <summary>
/// The instruction of the alignment world: <c>Use the words cat and boat:</c> and a newline, after which the model
/// writes one sentence. One type writes the prompts (the world) and reads them back (the reward), so the two cannot drift.
/// </summary>
internal static partial class RequestedWordsPrompt
{
    /// <summary>The prompt asking for <paramref name="words"/>: "Use the word cat:", "Use the words cat and boat:",
    /// "Use the words cat, boat and cup:", each followed by a newline.</summary>
    public static string Format(IReadOnlyList<string> words)
    {
        if (words.Count == 0) throw new ArgumentException("a prompt asks for at least one word.", nameof(words));
        string list = words.Count == 1 ? words[0] : $"{string.Join(", ", words.Take(words.Count - 1))} and {words[^1]}";
        return $"Use the word{(words.Count == 1 ? "" : "s")} {list}:\n";
    }

    /// <summary>The words <paramref name="prompt"/> asks for, or null when it is not such a prompt.</summary>
    public static IReadOnlyList<string>? TryParse(string prompt)
    {
        var match = Pattern().Match(prompt);
        if (!match.Success) return null;
        string list = match.Groups["list"].Value;
        int and = list.LastIndexOf(" and ", StringComparison.Ordinal);
        string[] words = and < 0
            ? [list]
            : [.. list[..and].Split(", "), list[(and + " and ".Length)..]];
        bool plural = match.Groups["plural"].Success;
        if (words.Any(w => w.Length == 0 || w.Contains(' ')) || plural != (words.Length > 1)) return null;
        return words;
    }

    [GeneratedRegex(@"\AUse the word(?<plural>s)? (?<list>[^\n:]+):\s*\z")]
    private static partial Regex Pattern();
}

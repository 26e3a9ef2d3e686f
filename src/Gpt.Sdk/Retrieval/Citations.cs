using System.Globalization;
using System.Text.RegularExpressions;

namespace Gpt.Sdk.Retrieval;

/// <summary>The <c>[n]</c> source markers of an answer: <c>[2]</c>, and lists such as <c>[1, 3]</c> or <c>[1][3]</c>.</summary>
public static partial class Citations
{
    /// <summary>The source numbers <paramref name="answer"/> cites, each once, in the order first cited; numbers outside
    /// 1 .. <paramref name="sourceCount"/> (no such source was given) are left out.</summary>
    /// <param name="answer">The answer text.</param>
    /// <param name="sourceCount">How many sources the prompt numbered.</param>
    public static IReadOnlyList<int> Parse(string answer, int sourceCount)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentOutOfRangeException.ThrowIfNegative(sourceCount);
        var cited = new List<int>();
        foreach (Match marker in Marker().Matches(answer))
            foreach (Capture number in marker.Groups["n"].Captures)
                if (int.TryParse(number.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= sourceCount && !cited.Contains(n))
                    cited.Add(n);
        return cited;
    }

    /// <summary>The marker of source <paramref name="number"/>, as prompts write it: <c>[number]</c>.</summary>
    /// <param name="number">The source number, from 1.</param>
    public static string Marker(int number) => "[" + number.ToString(CultureInfo.InvariantCulture) + "]";

    [GeneratedRegex(@"\[\s*(?<n>\d{1,4})(?:\s*,\s*(?<n>\d{1,4}))*\s*\]")]
    private static partial Regex Marker();
}

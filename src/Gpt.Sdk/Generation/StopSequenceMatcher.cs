using System.Text;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Finds stop sequences in a completion's text as it grows, across token boundaries. Text is released
/// only once it cannot be the start of a stop sequence; when one appears, the text before it is final
/// and the stop text is dropped.
/// </summary>
internal sealed class StopSequenceMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly StringBuilder _held = new();

    public StopSequenceMatcher(IReadOnlyList<string>? stops) => _stops = stops ?? [];

    /// <summary>True once a stop sequence was found; nothing more is released.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds new text; returns the text now safe to release.</summary>
    public string Append(string text)
    {
        if (Stopped) return string.Empty;
        if (_stops.Count == 0) return text;
        _held.Append(text);
        string held = _held.ToString();

        int first = -1;
        foreach (string stop in _stops)
        {
            int at = held.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0)
        {
            Stopped = true;
            _held.Clear();
            return held[..first];
        }

        int keep = LongestSuffixStartingAStop(held);
        _held.Clear().Append(held, held.Length - keep, keep);
        return held[..^keep];
    }

    /// <summary>The end of the text: whatever was held back is released (no stop can complete now).</summary>
    public string Flush()
    {
        if (Stopped) return string.Empty;
        string held = _held.ToString();
        _held.Clear();
        return held;
    }

    // Length of the longest suffix of text that is a proper prefix of some stop sequence.
    private int LongestSuffixStartingAStop(string text)
    {
        int best = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > best; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    best = length;
                    break;
                }
            }
        }
        return best;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Reads the final answer out of a model's completion, so sampled reasoning paths can be compared and voted on.
/// By default it looks for the chain-of-thought answer sentence, "The answer is X." (any case; the first one, since
/// text after it is the model inventing the next question), and failing that takes the last number in the text,
/// which is where a free-form solution usually ends. Answers come back <see cref="Normalize">normalised</see>.
/// Immutable and thread-safe.
/// </summary>
public sealed partial class AnswerExtractor
{
    /// <summary>The default pattern: "the answer is", an optional colon, then the answer up to a sentence-ending period
    /// (one followed by a space or the end, so <c>3.5</c> stays whole) or the end of the line.</summary>
    public const string DefaultPattern = @"(?im)the answer is\s*:?\s*(?<answer>.+?)\s*(?:\.(?=\s|$)|$)";

    private readonly Regex _pattern;

    /// <summary>Creates an extractor.</summary>
    /// <param name="pattern">A .NET regular expression; the answer is its group named <c>answer</c>, else its first group,
    /// else the whole match. The first match counts. Null: <see cref="DefaultPattern"/>.</param>
    /// <param name="fallBackToLastNumber">When the pattern does not match, take the last number in the text (true by default).</param>
    public AnswerExtractor(string? pattern = null, bool fallBackToLastNumber = true)
    {
        try
        {
            _pattern = new Regex(pattern ?? DefaultPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"the answer pattern '{pattern}' is not a valid regular expression: {e.Message}", nameof(pattern), e);
        }
        Pattern = _pattern.ToString();
        FallBackToLastNumber = fallBackToLastNumber;
    }

    /// <summary>The extractor with the default pattern and the last-number fallback.</summary>
    public static AnswerExtractor Default { get; } = new();

    /// <summary>The regular expression in use.</summary>
    public string Pattern { get; }

    /// <summary>Whether the last number in the text is taken when the pattern finds nothing.</summary>
    public bool FallBackToLastNumber { get; }

    /// <summary>The normalised answer in <paramref name="completion"/>, or null when it has none (an empty answer counts as none).</summary>
    /// <param name="completion">Generated text.</param>
    public string? Extract(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var match = _pattern.Match(completion);
        string? answer = null;
        if (match.Success)
            answer = match.Groups["answer"] is { Success: true } named ? named.Value
                : match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1].Value
                : match.Value;
        else if (FallBackToLastNumber && NumberRegex().Matches(completion) is { Count: > 0 } numbers)
            answer = numbers[^1].Value;
        if (answer is null) return null;
        string normalized = Normalize(answer);
        return normalized.Length == 0 ? null : normalized;
    }

    /// <summary>
    /// The form answers are compared in: surrounding space and trailing periods removed, runs of white space made one
    /// space; and a number written canonically, so <c>1,000</c>, <c>$1000</c>, <c>1000.0</c> and <c>+1000</c> all read
    /// <c>1000</c> (invariant culture: the comma groups thousands, the period marks decimals). Other text keeps its case.
    /// </summary>
    /// <param name="answer">An answer as written.</param>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string text = WhiteSpaceRegex().Replace(answer, " ").Trim().TrimEnd('.').TrimEnd();
        string number = text.Replace(",", "", StringComparison.Ordinal);
        if (number.StartsWith('$')) number = number[1..];
        if (decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
            return value == 0 ? "0" : value.ToString("0.############################", CultureInfo.InvariantCulture);
        return text;
    }

    // Digits with optional thousands groups and decimals; a leading minus belongs to the number.
    [GeneratedRegex(@"-?\d+(?:,\d{3})*(?:\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpaceRegex();
}

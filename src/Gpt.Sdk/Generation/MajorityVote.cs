namespace Gpt.Sdk.Generation;

/// <summary>
/// Self-consistency (Wang et al., 2022): sample several completions of one question, read a final
/// answer out of each, and keep the answer most of them agree on.
/// </summary>
public static class MajorityVote
{
    /// <summary>The most frequent answer among <paramref name="completions"/>; ties go to the answer seen first.</summary>
    /// <param name="completions">Completion texts.</param>
    /// <param name="extractAnswer">Reads the final answer out of a completion, or null when it has none (not counted);
    /// by default the whole text, trimmed.</param>
    /// <param name="comparer">Decides which answers are the same (default: ordinal).</param>
    public static MajorityVoteResult Vote(IEnumerable<string> completions, Func<string, string?>? extractAnswer = null,
        IEqualityComparer<string>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(completions);
        extractAnswer ??= text => text.Trim();
        var votes = new Dictionary<string, (int Count, int First)>(comparer ?? StringComparer.Ordinal);
        int total = 0, order = 0;
        foreach (string text in completions)
        {
            order++;
            if (extractAnswer(text ?? string.Empty) is not { } answer) continue;
            total++;
            votes[answer] = votes.TryGetValue(answer, out var v) ? (v.Count + 1, v.First) : (1, order);
        }
        if (votes.Count == 0) return new MajorityVoteResult(null, 0, 0);
        var best = votes.OrderByDescending(v => v.Value.Count).ThenBy(v => v.Value.First).First();
        return new MajorityVoteResult(best.Key, best.Value.Count, total);
    }

    /// <summary>The majority answer over a result's completions.</summary>
    /// <param name="result">A result with several completions (<see cref="GenerationOptions.N"/> &gt; 1).</param>
    /// <param name="extractAnswer">Reads the final answer out of a completion, or null when it has none.</param>
    /// <param name="comparer">Decides which answers are the same (default: ordinal).</param>
    public static MajorityVoteResult Vote(GenerationResult result, Func<string, string?>? extractAnswer = null,
        IEqualityComparer<string>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Vote(result.Completions.Select(c => c.Text), extractAnswer, comparer);
    }
}

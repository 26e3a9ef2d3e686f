namespace Gpt.Sdk.Evaluation;

/// <summary>
/// The unbiased pass@k estimator of the Codex paper (Chen et al., 2021): with n samples of a problem of which c pass,
/// the chance that at least one of k samples drawn without replacement passes is 1 − C(n−c, k) / C(n, k).
/// </summary>
public static class PassAtK
{
    /// <summary>pass@k of one problem.</summary>
    /// <param name="samples">n, the samples generated for the problem.</param>
    /// <param name="correct">c, how many of them passed (0 ≤ c ≤ n).</param>
    /// <param name="k">k, at least 1 and at most n: with fewer than k samples the estimate does not exist.</param>
    public static double Estimate(int samples, int correct, int k)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "a problem needs at least one sample.");
        if (correct < 0 || correct > samples)
            throw new ArgumentOutOfRangeException(nameof(correct), correct, $"the number of passing samples must be between 0 and the {samples} samples.");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (k > samples)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"pass@{k} needs at least {k} samples per problem, but this one has {samples}; generate more samples or ask for a smaller k.");
        // Fewer than k failures: every draw of k holds a passing sample.
        if (samples - correct < k) return 1.0;
        // C(n−c, k)/C(n, k) = Π_{i=n−c+1}^{n} (1 − k/i): a product of c factors in (0, 1], where the binomials themselves
        // overflow a double long before n = 1000.
        double fail = 1.0;
        for (int i = samples - correct + 1; i <= samples; i++) fail *= 1.0 - (double)k / i;
        return 1.0 - fail;
    }

    /// <summary>Whether pass@<paramref name="k"/> exists for every problem: each has at least k samples.</summary>
    /// <param name="problems">The per-problem counts.</param>
    /// <param name="k">The k asked for.</param>
    public static bool IsComputable(IEnumerable<PassCount> problems, int k)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return k >= 1 && problems.All(p => p.Samples >= k);
    }

    /// <summary>pass@k averaged over problems, for each k asked for. A k larger than some problem's sample count is not
    /// estimated (it would need samples that do not exist) and is listed in <see cref="PassAtKReport.NotComputable"/>.</summary>
    /// <param name="problems">The per-problem counts; at least one.</param>
    /// <param name="ks">The k values, each at least 1.</param>
    public static PassAtKReport Report(IReadOnlyCollection<PassCount> problems, IEnumerable<int> ks)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(ks);
        if (problems.Count == 0) throw new ArgumentException("no problems to average over.", nameof(problems));
        var values = new SortedDictionary<int, double>();
        var notComputable = new SortedSet<int>();
        foreach (int k in ks)
        {
            if (k < 1) throw new ArgumentOutOfRangeException(nameof(ks), k, "every k must be at least 1.");
            if (IsComputable(problems, k)) values[k] = problems.Average(p => Estimate(p.Samples, p.Correct, k));
            else notComputable.Add(k);
        }
        return new PassAtKReport(values, notComputable.ToArray());
    }
}

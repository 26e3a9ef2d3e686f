using Gpt.Sdk.Training;

namespace Gpt.Cli.Plotting;

/// <summary>One panel of a metrics chart: a title and the metrics drawn in it against the step.</summary>
/// <param name="Title">The panel's title: the metric's name without a split prefix.</param>
/// <param name="Metrics">The metric names drawn in it, each a curve.</param>
internal sealed record MetricPanel(string Title, IReadOnlyList<string> Metrics);

/// <summary>
/// Which metrics of a <see cref="MetricsLog"/> share a panel. A metric and the same metric on another split
/// (<c>loss</c> and <c>validation_loss</c>, <c>accuracy</c> and <c>eval_accuracy</c>) are drawn together, since the gap
/// between them is what one reads; every other metric gets a panel of its own, as each has its own scale.
/// </summary>
internal static class MetricPanels
{
    private static readonly string[] SplitPrefixes = ["train_", "validation_", "val_", "eval_", "test_"];

    /// <summary>The metric names of <paramref name="rows"/> in order of first appearance.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<MetricsRow> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var row in rows)
            foreach (string name in row.Values.Keys)
                if (seen.Add(name)) names.Add(name);
        return names;
    }

    /// <summary>The panels for <paramref name="rows"/>: of every metric, or of those <paramref name="wanted"/> in that order.</summary>
    /// <param name="rows">The log's rows.</param>
    /// <param name="wanted">Metric names to draw, or null for all.</param>
    /// <param name="source">The file, for error messages.</param>
    /// <exception cref="InvalidDataException">The log has no rows or no metrics.</exception>
    /// <exception cref="ArgumentException">A wanted metric is not in the log (the message lists those that are).</exception>
    public static IReadOnlyList<MetricPanel> Plan(IReadOnlyList<MetricsRow> rows, IReadOnlyList<string>? wanted, string source)
    {
        if (rows.Count == 0)
            throw new InvalidDataException($"'{source}' holds no metrics rows: the run has not finished a step yet, or the file is not a metrics log.");
        var names = Names(rows);
        if (names.Count == 0) throw new InvalidDataException($"the rows of '{source}' carry a step but no metric.");

        var chosen = names;
        if (wanted is not null)
        {
            if (wanted.Count == 0) throw new ArgumentException("--metrics names no metric; give a comma-separated list, e.g. --metrics loss,validation_loss.");
            var unknown = wanted.Where(w => !names.Contains(w, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"'{source}' has no metric {string.Join(", ", unknown.Select(u => $"'{u}'"))}; " +
                    $"it has: {string.Join(", ", names)}.");
            chosen = wanted.Distinct(StringComparer.Ordinal).ToList();
        }

        var panels = new List<(string Title, List<string> Metrics)>();
        foreach (string name in chosen)
        {
            string title = BaseName(name);
            int index = panels.FindIndex(p => p.Title == title);
            if (index < 0) panels.Add((title, [name]));
            else panels[index].Metrics.Add(name);
        }
        return panels.Select(p => new MetricPanel(p.Title, p.Metrics)).ToList();
    }

    private static string BaseName(string name)
    {
        foreach (string prefix in SplitPrefixes)
            if (name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal)) return name[prefix.Length..];
        return name;
    }
}

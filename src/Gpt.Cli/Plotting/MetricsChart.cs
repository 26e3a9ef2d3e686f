using Gpt.Sdk.Training;
using ScottPlot;

namespace Gpt.Cli.Plotting;

/// <summary>Draws a metrics log as one PNG: its panels in a grid, each a line per metric against the step.</summary>
internal static class MetricsChart
{
    private const int PanelWidth = 640, PanelHeight = 360;

    /// <summary>Writes the chart of <paramref name="panels"/> to <paramref name="path"/>.</summary>
    /// <param name="rows">The log's rows.</param>
    /// <param name="panels">What to draw where (<see cref="MetricPanels.Plan"/>).</param>
    /// <param name="path">The PNG file.</param>
    /// <returns>The image's width and height in pixels.</returns>
    public static (int Width, int Height) SavePng(IReadOnlyList<MetricsRow> rows, IReadOnlyList<MetricPanel> panels, string path)
    {
        // Two columns once there are more than two panels, so a run with many metrics stays a readable page, not a strip.
        int columns = panels.Count > 2 ? 2 : 1;
        int rowCount = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rowCount, columns);
        for (int i = 0; i < panels.Count; i++) Draw(multiplot.GetPlot(i), rows, panels[i]);

        int width = columns * PanelWidth, height = rowCount * PanelHeight;
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        multiplot.SavePng(path, width, height);
        return (width, height);
    }

    private static void Draw(Plot plot, IReadOnlyList<MetricsRow> rows, MetricPanel panel)
    {
        plot.Title(panel.Title);
        plot.XLabel(MetricsLog.StepKey);
        foreach (string metric in panel.Metrics)
        {
            // Rows without the metric (a validation value every N steps) and null (non-finite) values are gaps, not zeros.
            var points = rows.Where(r => r.Values.TryGetValue(metric, out double v) && double.IsFinite(v)).ToList();
            double[] xs = points.Select(r => (double)r.Step).ToArray();
            double[] ys = points.Select(r => r.Values[metric]).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = metric;
            // A metric logged every few hundred steps would be invisible as a line of one or two points.
            line.MarkerSize = xs.Length <= 50 ? 5 : 0;
        }
        if (panel.Metrics.Count > 1) plot.ShowLegend(Alignment.UpperRight);
    }
}

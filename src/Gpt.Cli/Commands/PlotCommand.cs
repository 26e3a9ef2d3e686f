using System.CommandLine;
using System.Text.Json;
using Gpt.Cli.Plotting;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt plot DIR [--out FILE.png] [--metrics a,b]</c>: draws the <c>metrics.jsonl</c> a trainer wrote in its output
/// folder (or a metrics file given directly) as one PNG of curves against the step, one panel per metric, a metric and
/// its validation counterpart together (<see cref="MetricPanels"/>).
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("run") { Description = $"A run's output folder (holding {MetricsLog.FileName}) or a metrics JSONL file." };
        var output = new Option<string?>("--out") { Description = "PNG file to write (default: metrics.png beside the metrics file)." };
        var metrics = new Option<string?>("--metrics") { Description = "Comma-separated metric names to draw (default: all), e.g. loss,validation_loss." };
        var command = new Command("plot", "Draw a run's metrics (metrics.jsonl) as a PNG of curves, one panel per metric; prints {\"plot\":{...}} JSON.")
        {
            source, output, metrics,
        };
        command.SetAction(parse =>
        {
            string file = MetricsFile(parse.GetValue(source)!);
            var rows = MetricsLog.Read(file);
            var wanted = parse.GetValue(metrics)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var panels = MetricPanels.Plan(rows, wanted, file);
            string png = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(file)!, "metrics.png"));
            if (!png.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out '{png}' must name a .png file: the chart is written as PNG.");
            if (Directory.Exists(png)) throw new ArgumentException($"--out '{png}' is a folder; give the PNG file's path.");
            var (width, height) = MetricsChart.SavePng(rows, panels, png);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["plot"] = new Dictionary<string, object>
                {
                    ["out"] = png,
                    ["rows"] = rows.Count,
                    ["panels"] = panels.Select(p => p.Metrics).ToList(),
                    ["width"] = width,
                    ["height"] = height,
                },
            }));
            return 0;
        });
        return command;
    }

    private static string MetricsFile(string path)
    {
        if (Directory.Exists(path))
        {
            string inFolder = Path.Combine(path, MetricsLog.FileName);
            if (!File.Exists(inFolder))
                throw new FileNotFoundException($"the folder '{Path.GetFullPath(path)}' has no {MetricsLog.FileName}; give a run's output folder " +
                    "(gpt train, sft, rm, ppo and dpo write one there) or the metrics file itself.", inFolder);
            return Path.GetFullPath(inFolder);
        }
        if (!File.Exists(path))
            throw new FileNotFoundException($"there is no folder or file '{Path.GetFullPath(path)}'; give a run's output folder or its {MetricsLog.FileName}.", path);
        return Path.GetFullPath(path);
    }
}

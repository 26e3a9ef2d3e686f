using System.Text.Json;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Tests;

public sealed class PlotCommandTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-plot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Written through MetricsLog, as the trainers write it: a training loss every step, a validation loss every tenth.
    private string WriteRun()
    {
        var log = MetricsLog.InFolder(_folder);
        for (int step = 1; step <= 60; step++)
        {
            var values = new List<KeyValuePair<string, double>> { new("loss", 3 * Math.Exp(-step / 20.0) + 0.5), new("lr", 1e-3 * Math.Min(1, step / 10.0)) };
            if (step % 10 == 0) values.Add(new("validation_loss", 3 * Math.Exp(-step / 20.0) + 0.7));
            log.Append(step, values);
        }
        return log.Path;
    }

    private static void AssertPng(string path, int minimumBytes)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length >= minimumBytes, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..PngSignature.Length]);
    }

    [Fact]
    public void PlotsARunFolderAsOnePngWithALossPanelHoldingValidation()
    {
        WriteRun();
        var result = GptProcess.Run("plot", _folder);
        Assert.True(result.ExitCode == 0, result.Stderr);

        using var json = JsonDocument.Parse(result.Stdout);
        var plot = json.RootElement.GetProperty("plot");
        string png = plot.GetProperty("out").GetString()!;
        Assert.Equal(Path.Combine(_folder, "metrics.png"), png);
        Assert.Equal(60, plot.GetProperty("rows").GetInt32());
        var panels = plot.GetProperty("panels").EnumerateArray().Select(p => p.EnumerateArray().Select(m => m.GetString()).ToArray()).ToArray();
        Assert.Equal([["loss", "validation_loss"], ["lr"]], panels);
        // Two 640x360 panels of axes, ticks, labels and curves: a blank or failed render is far smaller.
        AssertPng(png, 20_000);
    }

    [Fact]
    public void PlotsChosenMetricsOfAFileToTheGivenPath()
    {
        string file = WriteRun();
        string png = Path.Combine(_folder, "out", "lr.png");
        var result = GptProcess.Run("plot", file, "--out", png, "--metrics", "lr");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("plot").GetProperty("panels").GetArrayLength());
        AssertPng(png, 5_000);
    }

    [Fact]
    public void RefusesAMissingFileAnEmptyFileAndAnUnknownMetric()
    {
        var missing = GptProcess.Run("plot", Path.Combine(_folder, "absent"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("there is no folder or file", missing.Stderr);

        var noLog = GptProcess.Run("plot", _folder);
        Assert.Equal(1, noLog.ExitCode);
        Assert.Contains("has no metrics.jsonl", noLog.Stderr);

        string empty = Path.Combine(_folder, "empty.jsonl");
        File.WriteAllText(empty, "");
        var emptyResult = GptProcess.Run("plot", empty);
        Assert.Equal(1, emptyResult.ExitCode);
        Assert.Contains("holds no metrics rows", emptyResult.Stderr);

        WriteRun();
        var unknown = GptProcess.Run("plot", _folder, "--metrics", "loss,reward");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no metric 'reward'", unknown.Stderr);
        Assert.Contains("it has: loss, lr, validation_loss", unknown.Stderr);
        Assert.DoesNotContain("   at ", unknown.Stderr);

        var notPng = GptProcess.Run("plot", _folder, "--out", Path.Combine(_folder, "chart.svg"));
        Assert.Equal(1, notPng.ExitCode);
        Assert.Contains(".png", notPng.Stderr);
        Assert.False(File.Exists(Path.Combine(_folder, "metrics.png")));
    }
}

using Gpt.Sdk.Training;

namespace Gpt.Cli;

/// <summary>The live progress line of the training commands, on stderr so stdout stays clean, with the objective's metrics
/// beside the loss; steps that evaluate get a line of their own with the held-out loss and metrics.</summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter _out = Console.Error;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastLine;
    private bool _lineOpen;

    /// <summary>The last step reported, or 0 before the first.</summary>
    public int LastStep { get; private set; }

    public void Report(TrainingProgress p)
    {
        LastStep = p.Step;
        string line = $"step {p.Step}/{p.MaxSteps} | loss {p.Loss:F4}{Metrics(p.Metrics, "")} | lr {p.LearningRate:0.0e+0} | {p.TokensPerSecond:N0} tok/s | ETA {Format(p.Remaining)}";
        if (p.Skipped) line += " | SKIPPED (non-finite loss or gradient)";
        if (p.ValidationLoss is { } validation)
        {
            _out.WriteLine((_interactive ? "\r" : "") + line + $" | val {validation:F4}{Metrics(p.ValidationMetrics, "val_")}");
            _lineOpen = false;
            return;
        }

        if (_interactive)
        {
            _out.Write("\r" + line + "   ");
            _lineOpen = true;
        }
        else if (DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(5) || p.Step == p.MaxSteps)
        {
            _lastLine = DateTime.UtcNow;
            _out.WriteLine(line);
        }
    }

    /// <summary>Ends the live line (if one is open), so what is written next starts on a line of its own.</summary>
    public void EndLine()
    {
        if (!_lineOpen) return;
        _out.WriteLine();
        _lineOpen = false;
    }

    // The objective's own values (a reward model's accuracy and margin, say), in its order, to four significant digits.
    private static string Metrics(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        string.Concat(metrics.Select(m => $" | {prefix}{m.Key} {m.Value:G4}"));

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}

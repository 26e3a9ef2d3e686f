using Gpt.Sdk.Training;

namespace Gpt.Cli;

/// <summary>The live progress line of the training commands (<c>gpt train</c>, <c>sft</c>, <c>rm</c>, <c>dpo</c>), on stderr so stdout stays clean;
/// steps that evaluate get a line of their own with the held-out loss. The objective's metrics named at construction (DPO's
/// reward accuracy and margin, say) are shown after the loss, and their held-out values beside the held-out loss.</summary>
/// <param name="metrics">Metric names (<see cref="TrainingProgress.Metrics"/>) and the short labels they are shown under.</param>
internal sealed class ConsoleProgress(params (string Name, string Label)[] metrics) : IProgress<TrainingProgress>
{
    private readonly TextWriter _out = Console.Error;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastLine;
    private bool _lineOpen;

    /// <summary>True to write a line for every step, with the loss to six decimals (for logs and comparisons of runs),
    /// instead of a live line on a terminal and a line every five seconds elsewhere.</summary>
    public bool EveryStep { get; init; }

    /// <summary>The last step reported, or 0 before the first.</summary>
    public int LastStep { get; private set; }

    public void Report(TrainingProgress p)
    {
        LastStep = p.Step;
        string loss = p.Loss.ToString(EveryStep ? "F6" : "F4", System.Globalization.CultureInfo.InvariantCulture);
        string line = $"step {p.Step}/{p.MaxSteps} | loss {loss}{Shown(p.Metrics)} | lr {p.LearningRate:0.0e+0} | {p.TokensPerSecond:N0} tok/s | ETA {Format(p.Remaining)}";
        if (p.Skipped) line += " | SKIPPED (non-finite loss or gradient)";
        if (p.ValidationLoss is { } validation)
        {
            _out.WriteLine((_interactive && !EveryStep ? "\r" : "") + line + $" | val {validation:F4}{Shown(p.ValidationMetrics)}");
            _lineOpen = false;
            return;
        }

        if (_interactive && !EveryStep)
        {
            _out.Write("\r" + line + "   ");
            _lineOpen = true;
        }
        else if (EveryStep || DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(5) || p.Step == p.MaxSteps)
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

    private string Shown(IReadOnlyDictionary<string, double> values)
    {
        string shown = "";
        foreach (var (name, label) in metrics)
            if (values.TryGetValue(name, out double value)) shown += $" {label} {value:F3}";
        return shown.Length == 0 ? "" : " |" + shown;
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}

using Gpt.Sdk.Training;

namespace Gpt.Cli;

/// <summary>The live progress line of <c>gpt train</c> and <c>gpt sft</c>, on stderr so stdout stays clean; steps that
/// evaluate get a line of their own with the held-out loss.</summary>
/// <param name="everyStep">True to write a line for every step, with the loss to six decimals (for logs and comparisons
/// of runs), instead of a live line on a terminal and a line every five seconds elsewhere.</param>
internal sealed class ConsoleProgress(bool everyStep = false) : IProgress<TrainingProgress>
{
    private readonly TextWriter _out = Console.Error;
    private readonly bool _interactive = !everyStep && !Console.IsErrorRedirected;
    private DateTime _lastLine;
    private bool _lineOpen;

    /// <summary>The last step reported, or 0 before the first.</summary>
    public int LastStep { get; private set; }

    public void Report(TrainingProgress p)
    {
        LastStep = p.Step;
        string line = $"step {p.Step}/{p.MaxSteps} | loss {(everyStep ? p.Loss.ToString("F6", System.Globalization.CultureInfo.InvariantCulture) : p.Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))} | lr {p.LearningRate:0.0e+0} | {p.TokensPerSecond:N0} tok/s | ETA {Format(p.Remaining)}";
        if (p.Skipped) line += " | SKIPPED (non-finite loss or gradient)";
        if (p.ValidationLoss is { } validation)
        {
            _out.WriteLine((_interactive ? "\r" : "") + line + $" | val {validation:F4}");
            _lineOpen = false;
            return;
        }

        if (_interactive)
        {
            _out.Write("\r" + line + "   ");
            _lineOpen = true;
        }
        else if (everyStep || DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(5) || p.Step == p.MaxSteps)
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

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}

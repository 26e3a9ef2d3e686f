using Gpt.Sdk.Training;

namespace Gpt.Cli;

/// <summary>The live progress line of <c>gpt train</c>, on stderr so stdout stays clean.</summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter _out = Console.Error;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastLine;

    public void Report(TrainingProgress p)
    {
        string line = $"step {p.Step}/{p.MaxSteps} | loss {p.Loss:F4} | lr {p.LearningRate:0.0e+0} | {p.TokensPerSecond:N0} tok/s | ETA {Format(p.Remaining)}";
        if (p.Skipped) line += " | SKIPPED (non-finite loss or gradient)";
        if (p.ValidationLoss is { } validation)
        {
            _out.WriteLine((_interactive ? "\r" : "") + line + $" | val {validation:F4}");
            return;
        }

        if (_interactive) _out.Write("\r" + line + "   ");
        else if (DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(5) || p.Step == p.MaxSteps)
        {
            _lastLine = DateTime.UtcNow;
            _out.WriteLine(line);
        }
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}

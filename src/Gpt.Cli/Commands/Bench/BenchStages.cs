using System.Diagnostics;

namespace Gpt.Cli.Commands.Bench;

/// <summary>What the benchmarks that run in stages share: each stage's seconds in the JSON, and progress read in order.</summary>
internal static class BenchStages
{
    /// <summary>Runs <paramref name="run"/> and records its wall time under <paramref name="stage"/>.</summary>
    public static T Timed<T>(Dictionary<string, object> seconds, string stage, Func<T> run)
    {
        long started = Stopwatch.GetTimestamp();
        var value = run();
        seconds[stage] = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        return value;
    }

    /// <summary>Runs <paramref name="run"/> and records its wall time under <paramref name="stage"/>.</summary>
    public static async Task<T> TimedAsync<T>(Dictionary<string, object> seconds, string stage, Func<Task<T>> run)
    {
        long started = Stopwatch.GetTimestamp();
        var value = await run();
        seconds[stage] = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        return value;
    }

    /// <summary>A progress sink that handles each report as it is made. <see cref="Progress{T}"/> posts to the thread pool,
    /// so its reports could arrive late or out of order; the stages read them in order.</summary>
    public static IProgress<T> EveryStep<T>(Action<T> report) => new Synchronous<T>(report);

    private sealed class Synchronous<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

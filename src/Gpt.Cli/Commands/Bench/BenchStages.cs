using System.Diagnostics;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

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

    /// <summary>Pretrains a benchmark's base model on its generated text: warm-up, then a cosine decay to a tenth of the peak
    /// learning rate, no evaluation; a loss line on <paramref name="log"/> every 100 steps.</summary>
    /// <param name="model">The model, trained in place.</param>
    /// <param name="tokens">The text's tokens.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="sequenceLength">Tokens per row.</param>
    /// <param name="steps">Optimizer steps.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="seed">Seed of the data order.</param>
    /// <param name="folder">Where the run's metrics.jsonl and final checkpoint go (for <c>gpt plot</c>), or null for nowhere.</param>
    /// <param name="log">Progress lines (stderr).</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static async Task<TrainingResult> PretrainAsync(GptModel model, int[] tokens, int batchSize, int sequenceLength, int steps, float learningRate,
        ulong seed, string? folder, TextWriter log, CancellationToken cancellationToken)
    {
        using var data = TokenDataset.FromTokens(tokens);
        var options = new TrainingOptions
        {
            BatchSize = batchSize,
            SequenceLength = sequenceLength,
            MaxSteps = steps,
            LearningRate = learningRate,
            MinLearningRate = learningRate / 10,
            WarmupSteps = Math.Min(50, steps / 10),
            EvalInterval = 0,
            Seed = seed,
            CheckpointDirectory = folder,
        };
        using var trainer = new Trainer(model, data, null, options);
        return await trainer.RunAsync(EveryStep<TrainingProgress>(p =>
        {
            if (p.Step % 100 == 0) log.WriteLine($"  step {p.Step}: loss {p.Loss:F3}");
        }), cancellationToken);
    }

    /// <summary>A progress sink that handles each report as it is made. <see cref="Progress{T}"/> posts to the thread pool,
    /// so its reports could arrive late or out of order; the stages read them in order.</summary>
    public static IProgress<T> EveryStep<T>(Action<T> report) => new SynchronousProgress<T>(report);
}

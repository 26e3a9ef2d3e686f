using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training;

/// <summary>metrics.jsonl: rows written whole and read back, NaN as null, a torn last line ignored, rows past a resumed
/// step dropped; the trainer logs a row per step in its output folder.</summary>
public sealed class MetricsLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-metrics-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void RowsRoundTripWithNonFiniteValuesAsNull()
    {
        var log = MetricsLog.InFolder(Path.Combine(_folder, "run"));
        log.Append(1, [new("loss", 2.5), new("accuracy", 0.75)]);
        log.Append(2, [new("loss", double.NaN), new("accuracy", double.PositiveInfinity)]);
        Assert.Contains("\"loss\":null", File.ReadAllLines(log.Path)[1]);
        var rows = MetricsLog.Read(log.Path);
        Assert.Equal([1, 2], rows.Select(r => r.Step));
        Assert.Equal(2.5, rows[0].Values["loss"]);
        Assert.Equal(0.75, rows[0].Values["accuracy"]);
        Assert.True(double.IsNaN(rows[1].Values["loss"]));
        Assert.Throws<ArgumentException>(() => log.Append(3, [new("step", 1)]));
    }

    [Fact]
    public void ATornLastLineIsIgnoredAndTruncateDropsLaterSteps()
    {
        var log = new MetricsLog(Path.Combine(_folder, MetricsLog.FileName));
        for (int step = 1; step <= 5; step++) log.Append(step, [new("loss", step)]);
        File.AppendAllText(log.Path, "{\"step\": 6, \"lo");
        Assert.Equal(5, MetricsLog.Read(log.Path).Count);
        log.TruncateAfter(3);
        Assert.Equal([1, 2, 3], MetricsLog.Read(log.Path).Select(r => r.Step));
        Assert.Throws<FileNotFoundException>(() => MetricsLog.Read(Path.Combine(_folder, "none.jsonl")));
    }

    [Fact]
    public async Task TheTrainerLogsEveryStepAndARestartedRunDoesNotLogAStepTwice()
    {
        int[] phrase = TinyModels.RandomIds(37, 11, 9);
        var corpus = TokenDataset.FromTokens([.. Enumerable.Range(0, 400).Select(i => phrase[i % phrase.Length])]);
        var options = new TrainingOptions
        {
            BatchSize = 2, SequenceLength = 8, MaxSteps = 6, WarmupSteps = 1, EvalInterval = 3, EvalBatches = 2,
            CheckpointDirectory = _folder, CheckpointInterval = 2, Seed = 5,
        };
        var reported = new List<TrainingProgress>();
        using (var model = new GptModel(TinyModels.TwoLayer(), seed: 2))
        using (var trainer = new Trainer(model, corpus, corpus, options))
            await trainer.RunAsync(new SyncProgress<TrainingProgress>(reported.Add));

        var rows = MetricsLog.Read(Path.Combine(_folder, MetricsLog.FileName));
        Assert.Equal([1, 2, 3, 4, 5, 6], rows.Select(r => r.Step));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(reported[i].Loss, (float)rows[i].Values["loss"]);
            Assert.Equal(reported[i].LearningRate, (float)rows[i].Values["learning_rate"]);
            Assert.True(rows[i].Values["tokens_per_second"] > 0);
        }
        Assert.Equal(reported[2].ValidationLoss, (float)rows[2].Values["validation_loss"]);
        Assert.False(rows[1].Values.ContainsKey("validation_loss"));

        // A run that resumes from the step-6 checkpoint with more steps continues the log; one that finds a log without
        // a checkpoint (a fresh start) drops the old rows.
        using (var model = new GptModel(TinyModels.TwoLayer(), seed: 2))
        using (var trainer = new Trainer(model, corpus, corpus, options with { MaxSteps = 8 }))
        {
            Assert.True(trainer.TryResume());
            await trainer.RunAsync();
        }
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], MetricsLog.Read(Path.Combine(_folder, MetricsLog.FileName)).Select(r => r.Step));
        File.Delete(Path.Combine(_folder, Checkpoint.FileName));
        using (var model = new GptModel(TinyModels.TwoLayer(), seed: 2))
        using (var trainer = new Trainer(model, corpus, corpus, options with { MaxSteps = 2 }))
            await trainer.RunAsync();
        Assert.Equal([1, 2], MetricsLog.Read(Path.Combine(_folder, MetricsLog.FileName)).Select(r => r.Step));
    }
}

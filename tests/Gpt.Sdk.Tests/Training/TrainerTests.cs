using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-train-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // A random phrase of 37 tokens repeated: learnable, so the loss visibly falls.
    private static TokenDataset Corpus()
    {
        int[] phrase = TinyModels.RandomIds(37, 11, 9);
        return TokenDataset.FromTokens(Enumerable.Range(0, 400).Select(i => phrase[i % phrase.Length]).ToArray());
    }

    private static TrainingOptions Options(int steps) => new()
    {
        BatchSize = 2, SequenceLength = 8, MaxSteps = steps, WarmupSteps = 10, LearningRate = 3e-3f, MinLearningRate = 3e-4f,
        EvalInterval = 0, GradientAccumulationSteps = 2, Seed = 5,
    };

    [Fact]
    public void TinyModelMemorisesAShortSequence()
    {
        var config = new GptConfig { VocabularySize = 16, ContextLength = 16, EmbeddingSize = 32, LayerCount = 2, HeadCount = 4 };
        using var model = new GptModel(config, seed: 1);
        int[] sequence = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2];
        var options = new TrainingOptions
        {
            BatchSize = 1, SequenceLength = 16, MaxSteps = 250, WarmupSteps = 10, LearningRate = 1e-2f, MinLearningRate = 1e-3f,
            WeightDecay = 0f, EvalInterval = 0,
        };
        using var trainer = new Trainer(model, TokenDataset.FromTokens(sequence), null, options);
        float first = trainer.TrainStep().Loss, last = first;
        while (trainer.Step < options.MaxSteps) last = trainer.TrainStep().Loss;
        Assert.True(first > 2f, $"initial loss {first}");
        Assert.True(last < 0.05f, $"final loss {last}");
    }

    // Steps 101-200 of a run resumed from its step-100 checkpoint equal those of an uninterrupted run, bit for bit.
    [Fact]
    public async Task ResumedRunReproducesLossesBitForBit()
    {
        var config = TinyModels.TwoLayer(dropout: 0.1f);
        var uninterrupted = new List<float>();
        using (var model = new GptModel(config, seed: 2))
        using (var trainer = new Trainer(model, Corpus(), null, Options(200) with { CheckpointDirectory = _folder, CheckpointInterval = 100 }))
        {
            string saved = Path.Combine(_folder, "at100.safetensors");
            await trainer.RunAsync(new SyncProgress(p =>
            {
                uninterrupted.Add(p.Loss);
                if (p.Step == 100) File.Copy(Path.Combine(_folder, Checkpoint.FileName), saved);
            }));
        }

        var resumed = new List<float>();
        var state = Checkpoint.ReadState(Path.Combine(_folder, "at100.safetensors"));
        Assert.Equal(100, state.Step);
        using (var model = new GptModel(state.Config, seed: 99))
        using (var trainer = new Trainer(model, Corpus(), null, Options(200)))
        {
            trainer.LoadCheckpoint(Path.Combine(_folder, "at100.safetensors"));
            Assert.Equal(100, trainer.Step);
            await trainer.RunAsync(new SyncProgress(p => resumed.Add(p.Loss)));
        }

        Assert.Equal(200, uninterrupted.Count);
        Assert.Equal(uninterrupted.Skip(100), resumed);
        Assert.True(uninterrupted[^1] < uninterrupted[0]);
    }

    [Fact]
    public void NonFiniteLossSkipsTheUpdateAndReportsIt()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 4);
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        values[model.Parameters["ln_f.weight"].Offset] = float.NaN;
        model.Parameters.CopyValuesFrom(values);
        using var trainer = new Trainer(model, Corpus(), null, Options(5));
        var report = trainer.TrainStep();
        Assert.True(report.Skipped);
        Assert.Equal(1, trainer.SkippedSteps);
        var after = new float[values.Length];
        model.Parameters.CopyValuesTo(after);
        Assert.Equal(values, after); // nothing was updated
    }

    [Fact]
    public async Task CancellationCheckpointsTheFinishedSteps()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 4);
        using var trainer = new Trainer(model, Corpus(), null, Options(1000) with { CheckpointDirectory = _folder });
        using var cancel = new CancellationTokenSource();
        var run = trainer.RunAsync(new SyncProgress(p => { if (p.Step == 3) cancel.Cancel(); }), cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(3, Checkpoint.ReadState(Path.Combine(_folder, Checkpoint.FileName)).Step);
    }

    [Fact]
    public void SteadyStateStepsDoNotAllocate()
    {
        using var model = new GptModel(TinyModels.TwoLayer(dropout: 0.1f), seed: 4);
        using var trainer = new Trainer(model, Corpus(), null, Options(100));
        for (int i = 0; i < 5; i++) trainer.TrainStep();
        // The training thread's own allocations: the process-wide counter also sees the JIT's
        // background recompilation, which is not the step's doing.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) trainer.TrainStep();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        // The smallest object is 24 bytes: under 16 per step means nothing is allocated every step
        // (a one-off, such as a pool refilling its thread-local cache, may still show up).
        Assert.True(perStep < 16, $"{perStep} bytes allocated per step");
    }

    [Fact]
    public void BadDataAndOptionsAreRefused()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        var empty = Assert.Throws<ArgumentException>(() => new Trainer(model, TokenDataset.FromTokens([]), null, Options(5)));
        Assert.Contains("tokens", empty.Message);
        Assert.Throws<ArgumentException>(() => new Trainer(model, TokenDataset.FromTokens([1, 2, 3]), null, Options(5)));
        Assert.Throws<ArgumentException>(() => new Trainer(model, Corpus(), null, Options(5) with { SequenceLength = 9 }));
        Assert.Throws<ArgumentException>(() => new Trainer(model, Corpus(), null, Options(5) with { LearningRate = float.NaN }));
        Assert.Throws<ArgumentException>(() => new Trainer(model, Corpus(), null, Options(0)));
        Assert.Throws<ArgumentException>(() => new Trainer(model, Corpus(), TokenDataset.FromTokens([1]), Options(5)));
    }

    [Fact]
    public void CheckpointOfAnotherShapeIsRefused()
    {
        string path = Path.Combine(_folder, Checkpoint.FileName);
        using (var model = new GptModel(TinyModels.TwoLayer()))
        using (var trainer = new Trainer(model, Corpus(), null, Options(5)))
            trainer.SaveCheckpoint(path);
        using var other = new GptModel(TinyModels.TwoLayer() with { LayerCount = 1 });
        using var otherTrainer = new Trainer(other, Corpus(), null, Options(5));
        Assert.Throws<Gpt.Sdk.IO.ModelFileException>(() => otherTrainer.LoadCheckpoint(path));
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

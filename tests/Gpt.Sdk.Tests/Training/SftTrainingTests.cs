using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Training.Sft;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training;

public sealed class SftTrainingTests : IDisposable
{
    private static readonly GptConfig Config = new() { VocabularySize = 50, ContextLength = 16, EmbeddingSize = 16, LayerCount = 2, HeadCount = 2 };
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-sft-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (float Loss, float[] Gradients) LossAndGradients(GptModel model, TokenBatch batch)
    {
        model.Parameters.ZeroGradients();
        using var tape = new Tape(model.Device);
        var options = new ForwardOptions { Positions = batch.SegmentStarts is null ? null : batch.Positions, SegmentStarts = batch.SegmentStarts };
        var loss = model.Loss(tape, batch.Inputs, batch.Targets, batch.BatchSize, batch.SequenceLength, options);
        float value = loss.ToArray()[0];
        tape.Backward(loss);
        var gradients = new float[model.Parameters.Count];
        model.Parameters.Device.Download(model.Parameters.AllGradients, gradients);
        return (value, gradients);
    }

    // Several examples per window, each attending only to itself with positions restarting, train exactly as the same
    // examples one per row: the same loss and the same gradient of every parameter (to summation order).
    [Fact]
    public void APackedBatchGivesTheLossAndGradientsOfTheSameExamplesUnpacked()
    {
        var dataset = SftTestData.RandomDataset(count: 7, maxTokens: 9, sequenceLength: 16, seed: 3);
        using var model = new GptModel(Config, seed: 4);
        var unpackedSource = new SftBatchSource(dataset, batchSize: 7, seed: 1);
        var unpacked = unpackedSource.CreateBatch();
        unpackedSource.Next(unpacked);
        var packedSource = new SftBatchSource(dataset, batchSize: 7, seed: 1, pack: true);
        var packed = packedSource.CreateBatch();
        packedSource.Next(packed);
        Assert.Contains(packed.SegmentStarts!, s => s > 0);           // rows really hold several examples
        Assert.Equal(unpacked.CountedTargets, packed.CountedTargets);

        var (unpackedLoss, unpackedGradients) = LossAndGradients(model, unpacked);
        var (packedLoss, packedGradients) = LossAndGradients(model, packed);
        Assert.Equal(unpackedLoss, packedLoss, 5);
        float largest = unpackedGradients.Max(MathF.Abs);
        for (int i = 0; i < unpackedGradients.Length; i++)
            Assert.True(MathF.Abs(unpackedGradients[i] - packedGradients[i]) <= 1e-5f * largest,
                $"gradient {i}: packed {packedGradients[i]}, unpacked {unpackedGradients[i]}");
    }

    private static TrainingOptions Options(int steps) => new()
    {
        BatchSize = 3, SequenceLength = 16, MaxSteps = steps, WarmupSteps = 2, LearningRate = 1e-2f, MinLearningRate = 1e-3f,
        EvalInterval = 0, Seed = 9,
    };

    private static Trainer LoraTrainer(GptModel model, string? checkpoints, int steps, out LoraAdapter adapter)
    {
        adapter = model.AddLoraAdapter("sft", new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1f, TargetModules = [LoraConfig.AllLinear] }, seed: 2);
        var dataset = SftTestData.RandomDataset(count: 12, maxTokens: 9, sequenceLength: 16, seed: 5);
        var objective = new NextTokenObjective(new SftBatchSource(dataset, 3, seed: 7, pack: true));
        return new Trainer(model, objective, Options(steps) with { CheckpointDirectory = checkpoints, CheckpointInterval = checkpoints is null ? 0 : 4 }, adapter);
    }

    // LoRA SFT trains only the adapter: the frozen base has no gradients or moments and does not move, and the checkpoint
    // holds the adapter's segment alone.
    [Fact]
    public void LoraFineTuningTrainsOnlyTheAdapter()
    {
        using var model = new GptModel(Config, seed: 4);
        var before = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(before);
        using var trainer = LoraTrainer(model, _folder, steps: 8, out var adapter);
        Assert.Equal([adapter.Parameters], trainer.Optimizer.Segments);
        Assert.Equal(2L * adapter.Parameters.Count * sizeof(float), trainer.Optimizer.MomentBytes);
        Assert.Throws<InvalidOperationException>(() => model.Parameters.Gradients);

        float first = trainer.TrainStep().Loss, last = first;
        while (trainer.Step < 8) last = trainer.TrainStep().Loss;
        trainer.SaveCheckpoint(Path.Combine(_folder, Checkpoint.FileName));

        var after = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(after);
        Assert.Equal(before, after);
        Assert.True(last < first, $"loss {first} → {last}");
        using var file = Gpt.Sdk.IO.SafetensorsFile.Open(Path.Combine(_folder, Checkpoint.FileName));
        Assert.Equal(["lora:sft/values", "lora:sft/exp_avg", "lora:sft/exp_avg_sq"], file.Tensors.Select(t => t.Name).Order().Reverse().OrderBy(n => n.Length).ToArray());
    }

    // A LoRA run stopped at step 4 and resumed from its checkpoint continues bit for bit, dropout and packed data included.
    [Fact]
    public async Task AResumedLoraRunContinuesBitForBit()
    {
        var uninterrupted = new List<float>();
        using (var model = new GptModel(Config, seed: 4))
        using (var trainer = LoraTrainer(model, checkpoints: null, steps: 8, out _))
            while (trainer.Step < 8) uninterrupted.Add(trainer.TrainStep().Loss);

        using (var model = new GptModel(Config, seed: 4))
        using (var trainer = LoraTrainer(model, _folder, steps: 8, out _))
        {
            var cancel = new CancellationTokenSource();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.RunAsync(new Progress(p => { if (p.Step == 4) cancel.Cancel(); }), cancel.Token));
        }

        var resumed = new List<float>();
        using (var model = new GptModel(Config, seed: 4))
        using (var trainer = LoraTrainer(model, _folder, steps: 8, out _))
        {
            Assert.True(trainer.TryResume());
            Assert.Equal(4, trainer.Step);
            while (trainer.Step < 8) resumed.Add(trainer.TrainStep().Loss);
        }

        Assert.Equal(uninterrupted.Skip(4), resumed);
    }

    [Fact]
    public void AResumeWithAnotherAdapterShapeIsRefused()
    {
        using (var model = new GptModel(Config, seed: 4))
        using (var trainer = LoraTrainer(model, _folder, steps: 8, out _))
        {
            trainer.TrainStep();
            trainer.SaveCheckpoint(Path.Combine(_folder, Checkpoint.FileName));
        }

        using var other = new GptModel(Config, seed: 4);
        var adapter = other.AddLoraAdapter("sft", new LoraConfig { Rank = 2, TargetModules = ["c_attn"] });
        var dataset = SftTestData.RandomDataset(count: 4, maxTokens: 9, sequenceLength: 16, seed: 5);
        using var trainer2 = new Trainer(other, new NextTokenObjective(new SftBatchSource(dataset, 2, seed: 7)), Options(8) with { CheckpointDirectory = _folder }, adapter);
        var error = Assert.Throws<Gpt.Sdk.IO.ModelFileException>(() => trainer2.TryResume());
        Assert.Contains("lora:sft", error.Message);
    }

    [Fact]
    public void NothingTrainableIsRefused()
    {
        using var model = new GptModel(Config, seed: 4);
        model.Parameters.Trainable = false;
        var dataset = SftTestData.RandomDataset(count: 4, maxTokens: 9, sequenceLength: 16, seed: 5);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, new NextTokenObjective(new SftBatchSource(dataset, 2, seed: 7)), Options(8)));
        Assert.Contains("nothing is trainable", error.Message);
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

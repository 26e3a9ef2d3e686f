using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;
using DpoRun = Gpt.Sdk.Training.Dpo;

namespace Gpt.Sdk.Tests.Training.Dpo;

/// <summary>
/// DPO on a tiny character model: pairs labelled by a program (the chosen response repeats the prompt's letter, the
/// rejected one repeats another) are learned in seconds, the reference log-probabilities are the starting model's (the base
/// with the adapter off under LoRA) and stay fixed while the policy moves, seeded runs are identical and an interrupted run
/// resumes to the same weights.
/// </summary>
public sealed class DpoTrainingTests : IDisposable
{
    private const string Letters = "abcdefgh";
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-dpo-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GptModel Model() =>
        new(new GptConfig { VocabularySize = Chars.VocabularySize, ContextLength = 16, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 }, seed: 5);

    // Prompt "c:" → chosen "ccc", rejected the next letter three times: a preference a program computes.
    private static PreferenceExample[] Pairs() =>
    [
        .. Letters.Select((c, i) => PreferenceExample.Pair($"{c}:", new string(c, 3), new string(Letters[(i + 1) % Letters.Length], 3))),
        .. Letters.Select((c, i) => PreferenceExample.Pair($"{c}:", new string(c, 3), new string(Letters[(i + 3) % Letters.Length], 3))),
    ];

    private static PreferenceDataset Dataset() =>
        PreferenceDataset.FromExamples(Pairs(), Chars, new PreferenceDataOptions { SequenceLength = 16, VocabularySize = Chars.VocabularySize });

    private static DpoRun Run(GptModel model, int steps, Func<DpoOptions, DpoOptions>? loss = null) =>
        DpoRun.For(model, Chars).OnPreferenceData(Pairs())
            .WithLoss(loss ?? (o => o with { Beta = 0.5f }))
            .WithOptions(o => o with { SequenceLength = 16, BatchSize = 4, MaxSteps = steps, LearningRate = 1e-2f, MinLearningRate = 1e-3f, WarmupSteps = 2, EvalInterval = 0 });

    // Mean over the pairs of log π(chosen) − log π(rejected), computed apart from the objective.
    private static double MeanLogRatio(GptModel model, PreferenceDataset data, LoraAdapter? adapter = null)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        float[] rows = SequenceLogProbs.Of(tape, model, PreferenceBatch.Create(data.Pairs), adapter, 0, average: false).ToArray();
        int n = data.Count;
        return Enumerable.Range(0, n).Average(i => (double)rows[i] - rows[n + i]);
    }

    [Theory]
    [InlineData(DpoLossType.Sigmoid)]
    [InlineData(DpoLossType.Ipo)]
    public async Task ProgramLabelledPairsAreLearnedInSeconds(DpoLossType type)
    {
        using var model = Model();
        var data = Dataset();
        double before = MeanLogRatio(model, data);
        var reports = new List<TrainingProgress>();

        var result = await Run(model, 40, o => o with { LossType = type, Beta = type == DpoLossType.Ipo ? 0.1f : 0.5f })
            .HoldOut(0.25).WithOptions(o => o with { EvalInterval = 40, EvalBatches = 10 })
            .RunAsync(new SyncProgress<TrainingProgress>(reports.Add));

        double after = MeanLogRatio(model, data);
        var first = reports[0].Metrics;
        var last = reports[^1];
        // Before the first update the policy is the reference: every reward is 0, so no pair counts as won yet.
        Assert.Equal(0, first[DpoMetrics.RewardMargin], 1e-4);
        Assert.Equal(0, first[DpoMetrics.RewardAccuracy]);
        Assert.True(after > before + 2, $"log π(chosen) − log π(rejected) went from {before:F3} to {after:F3}.");
        Assert.True(last.Metrics[DpoMetrics.RewardAccuracy] >= 0.9, $"training reward accuracy {last.Metrics[DpoMetrics.RewardAccuracy]}");
        Assert.True(last.Metrics[DpoMetrics.RewardMargin] > 0);
        Assert.True(last.ValidationMetrics[DpoMetrics.RewardAccuracy] >= 0.75, $"held-out reward accuracy {last.ValidationMetrics[DpoMetrics.RewardAccuracy]}");
        Assert.NotNull(result.Training.ValidationLoss);
    }

    [Fact]
    public void ReferenceLogProbsAreTheBaseWithTheAdapterOffAndStayFixedWhileThePolicyMoves()
    {
        using var model = Model();
        var data = Dataset();
        var adapter = TinyModels.AddRandomLoraAdapter(model, "policy", seed: 3, scale: 0.3f);
        double baseRatio = MeanLogRatio(model, data), adapterRatio = MeanLogRatio(model, data, adapter);
        Assert.NotEqual(baseRatio, adapterRatio, 3);
        float[] expected = HostLogProbs(model, data);

        var objective = DpoObjective.Create(model, data, null, new DpoOptions(), promptsPerBatch: 4, seed: 1);
        using (var trainer = new Trainer(model, objective, new TrainingOptions { MaxSteps = 5, LearningRate = 1e-2f, WarmupSteps = 0, EvalInterval = 0 }, adapter))
            for (int i = 0; i < 5; i++) trainer.TrainStep();

        Assert.NotEqual(adapterRatio, MeanLogRatio(model, data, adapter), 3);           // the policy moved...
        for (int i = 0; i < data.Count; i++)                                              // ...its reference did not
        {
            var (chosen, rejected) = objective.ReferenceOf(data.Pairs[i]);
            Assert.Equal(expected[i], chosen, 1e-4);
            Assert.Equal(expected[data.Count + i], rejected, 1e-4);
        }
    }

    [Fact]
    public async Task AFullFineTunesReferenceIsTheModelBeforeItsFirstStep()
    {
        using var model = Model();
        var data = Dataset();
        float[] expected = HostLogProbs(model, data);
        var options = new TrainingOptions { MaxSteps = 4, LearningRate = 1e-2f, WarmupSteps = 0, EvalInterval = 0 };
        var objective = DpoObjective.Create(model, data, null, new DpoOptions { LossType = DpoLossType.Sigmoid }, 4, 1);
        using var trainer = new Trainer(model, objective, options);
        await trainer.RunAsync();

        Assert.NotEqual(expected, HostLogProbs(model, data));
        for (int i = 0; i < data.Count; i++)
        {
            var (chosen, rejected) = objective.ReferenceOf(data.Pairs[i]);
            Assert.Equal(expected[i], chosen, 1e-4);
            Assert.Equal(expected[data.Count + i], rejected, 1e-4);
        }
    }

    [Fact]
    public async Task TwoRunsWithTheSameSeedAreIdentical()
    {
        async Task<(List<float> Losses, float[] Weights)> Once()
        {
            using var model = Model();
            var losses = new List<float>();
            await Run(model, 6).RunAsync(new SyncProgress<TrainingProgress>(p => losses.Add(p.Loss)));
            var weights = new float[model.Parameters.Count];
            model.Parameters.CopyValuesTo(weights);
            return (losses, weights);
        }

        var (lossesA, weightsA) = await Once();
        var (lossesB, weightsB) = await Once();
        Assert.Equal(lossesA, lossesB);
        Assert.Equal(weightsA, weightsB);
        // The first step's policy is its reference, so its loss is −log σ(0) = log 2; later steps moved the policy.
        Assert.Equal(MathF.Log(2), lossesA[0], 1e-5);
        Assert.Contains(lossesA.Skip(1), l => Math.Abs(l - lossesA[0]) > 1e-3);
    }

    [Fact]
    public async Task AnInterruptedFullFineTuneResumesToTheSameWeightsAsAnUninterruptedOne()
    {
        string whole = Path.Combine(_folder, "whole"), interrupted = Path.Combine(_folder, "interrupted");
        using (var model = Model()) await Run(model, 8).SaveTo(whole).RunAsync();

        using (var model = Model())
        {
            using var cancel = new CancellationTokenSource();
            var stopped = Run(model, 8).SaveTo(interrupted).RunAsync(new SyncProgress<TrainingProgress>(p =>
            {
                if (p.Step == 3) cancel.Cancel();
            }), cancel.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped);
        }

        DpoStart? start = null;
        using (var model = Model()) await Run(model, 8).SaveTo(interrupted).OnStarting(s => start = s).RunAsync();   // the original model again

        Assert.Equal(3, start?.ResumedFromStep);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(interrupted, "model.safetensors")));
        Assert.Equal(8, File.ReadLines(Path.Combine(interrupted, MetricsLog.FileName)).Count());
    }

    [Fact]
    public async Task BadLossSettingsAreRefusedBeforeAnythingIsWritten()
    {
        string output = Path.Combine(_folder, "out");
        using var model = Model();
        foreach (var loss in new Func<DpoOptions, DpoOptions>[]
        {
            o => o with { Beta = 0 },
            o => o with { Beta = -0.1f },
            o => o with { Beta = float.NaN },
            o => o with { LossType = (DpoLossType)7 },
            o => o with { LabelSmoothing = 0.5f },
            o => o with { LossType = DpoLossType.Ipo, LabelSmoothing = 0.1f },
        })
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => Run(model, 2, loss).SaveTo(output).RunAsync());
            Assert.Matches("Beta|LossType|LabelSmoothing", error.Message);
        }
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task AChosenEqualToRejectedLineIsRefusedWithItsLineAndNothingIsWritten()
    {
        string data = WriteJsonl(_folder, """{"prompt": "a:", "chosen": "aaa", "rejected": "bbb"}""", """{"prompt": "b:", "chosen": "bbb", "rejected": "bbb"}""");
        string output = Path.Combine(_folder, "out");
        using var model = Model();
        var run = DpoRun.For(model, Chars).OnPreferenceData(data).WithOptions(o => o with { SequenceLength = 16, MaxSteps = 2 }).SaveTo(output);

        var error = await Assert.ThrowsAsync<TrainingDataException>(() => run.RunAsync());

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("the same text", error.Message);
        Assert.False(Directory.Exists(output));
    }

    // log π(response | prompt) of every pair's chosen rows then rejected rows, from the logits on the host in double.
    private static float[] HostLogProbs(GptModel model, PreferenceDataset data)
    {
        var batch = PreferenceBatch.Create(data.Pairs);
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        float[] logits = model.Forward(tape, batch.Inputs, batch.Rows, batch.SequenceLength).ToArray();
        int v = model.Config.VocabularySize, t = batch.SequenceLength;
        var sums = new float[batch.Rows];
        for (int r = 0; r < batch.Rows; r++)
        {
            double sum = 0;
            for (int i = 0; i < t; i++)
            {
                int target = batch.Targets[r * t + i];
                if (target < 0) continue;
                var row = logits.AsSpan((r * t + i) * v, v);
                double max = double.NegativeInfinity, total = 0;
                foreach (float x in row) max = Math.Max(max, x);
                foreach (float x in row) total += Math.Exp(x - max);
                sum += row[target] - max - Math.Log(total);
            }
            sums[r] = (float)sum;
        }
        return sums;
    }
}

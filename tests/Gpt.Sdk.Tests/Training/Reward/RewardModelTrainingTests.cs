using System.Text.Json;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Reward.RewardTestData;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Reward;

/// <summary><see cref="RewardModelTraining"/> end to end on a preference a tiny model can learn: held-out accuracy, the
/// metrics it logs, seeded reproducibility, resuming, and the saved reward model (full and LoRA).</summary>
public sealed class RewardModelTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-reward-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ATinyModelLearnsThePreferenceToHighHeldOutAccuracy()
    {
        string output = Path.Combine(_folder, "rm");
        using var model = Model();
        var result = await RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(160, seed: 1)).HoldOut(0.2)
            .WithOptions(Options).SaveTo(output).RunAsync();
        using var rewardModel = result.RewardModel;

        // 32 held-out prompts (40 pairs, ranked lists expanded); chance is 0.5.
        Assert.True(result.Evaluation["accuracy"] >= 0.9, $"held-out pairwise accuracy {result.Evaluation["accuracy"]:F3}");
        Assert.True(result.Evaluation["margin"] > 0);
        Assert.True(result.Training.ValidationLoss < 0.4, $"held-out loss {result.Training.ValidationLoss}");
        Assert.True(rewardModel.Score("ab:", " axcde") > rewardModel.Score("ab:", " abcde"));

        var rows = File.ReadAllLines(Path.Combine(output, MetricsLog.FileName)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(60, rows.Count);
        foreach (string name in new[] { "loss", "accuracy", "margin", "chosen_reward", "rejected_reward" })
            Assert.All(rows, r => Assert.True(double.IsFinite(r.GetProperty(name).GetDouble()), name));
        Assert.Equal(3, rows.Count(r => r.TryGetProperty("validation_accuracy", out _)));
        Assert.Equal(result.Evaluation["accuracy"], rows[^1].GetProperty("validation_accuracy").GetDouble(), 6);
    }

    [Fact]
    public async Task TwoRunsWithTheSameSeedGiveIdenticalResultsAndAResumedRunContinuesIdentically()
    {
        async Task<(RewardModelTrainingResult Result, byte[] Head)> Run(string output, int steps)
        {
            using var model = Model();
            var result = await RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(40, seed: 2)).HoldOut(0.25)
                .WithOptions(o => Options(o) with { MaxSteps = steps, EvalInterval = 4, CheckpointInterval = 0 }).SaveTo(output).RunAsync();
            result.RewardModel.Dispose();
            return (result, File.ReadAllBytes(Path.Combine(output, "score_head.safetensors")));
        }

        var (first, firstHead) = await Run(Path.Combine(_folder, "a"), 8);
        var (second, secondHead) = await Run(Path.Combine(_folder, "b"), 8);
        Assert.Equal(first.Training.FinalLoss, second.Training.FinalLoss);
        Assert.Equal(first.Evaluation, second.Evaluation);
        Assert.Equal(firstHead, secondHead);

        // Cancelled after step 5, the same run again resumes from the checkpoint there and ends where the whole run did.
        string resumed = Path.Combine(_folder, "c");
        using (var model = Model())
        using (var cancel = new CancellationTokenSource())
        {
            var progress = new SyncProgress<TrainingProgress>(p => { if (p.Step == 5) cancel.Cancel(); });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(40, seed: 2))
                .HoldOut(0.25).WithOptions(o => Options(o) with { MaxSteps = 8, EvalInterval = 4 }).SaveTo(resumed).RunAsync(progress, cancel.Token));
        }

        using (var cancelled = RewardModel.Load(resumed)) Assert.True(float.IsFinite(cancelled.Score("ab:", " xx"))); // a usable result
        RewardModelTrainingStart? start = null;
        using (var model = Model())
        {
            var result = await RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(40, seed: 2)).HoldOut(0.25)
                .WithOptions(o => Options(o) with { MaxSteps = 8, EvalInterval = 4 }).SaveTo(resumed).OnStarting(s => start = s).RunAsync();
            result.RewardModel.Dispose();
            Assert.Equal(first.Training.FinalLoss, result.Training.FinalLoss);
        }

        Assert.Equal(5, start?.ResumedFromStep);
        Assert.Equal(firstHead, File.ReadAllBytes(Path.Combine(resumed, "score_head.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "a", "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
    }

    [Fact]
    public async Task ASavedRewardModelReloadsWithIdenticalScores()
    {
        string output = Path.Combine(_folder, "rm");
        using var model = Model();
        var result = await RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(24, seed: 3))
            .WithOptions(o => Options(o) with { MaxSteps = 6 }).SaveTo(output).RunAsync();
        using var trained = result.RewardModel;
        string[] prompts = ["ab:", "cd:", "ef:", "gh:"], responses = [" axcde", " abcde", " xx", " hhhhhhh"];
        float[] before = trained.Score(prompts, responses);

        using var loaded = RewardModel.Load(output);
        Assert.Equal(before, loaded.Score(prompts, responses));
        Assert.Equal(before[1], loaded.Score(prompts[1], responses[1]));
        Assert.All(before, s => Assert.True(float.IsFinite(s)));
        // The folder is a model folder too: it opens as a language model.
        using var asLanguageModel = GptModel.FromPretrained(output);
        Assert.Equal(model.Config, asLanguageModel.Config);
    }

    [Fact]
    public async Task ALoraRewardModelIsSavedWithTheAdapterMergedAndTheTrunkInMemoryUntouched()
    {
        string output = Path.Combine(_folder, "lora");
        using var model = Model();
        var baseWeights = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(baseWeights);
        var result = await RewardModelTraining.For(model, Chars).OnPreferenceData(Examples(24, seed: 4))
            .WithLora(new LoraConfig { Rank = 2, Alpha = 4, TargetModules = [LoraConfig.AllLinear] })
            .WithOptions(o => Options(o) with { MaxSteps = 6 }).SaveTo(output).RunAsync();
        using var trained = result.RewardModel;
        Assert.NotNull(trained.Adapter);
        Assert.False(model.Parameters.Trainable);
        string[] prompts = ["ab:", "cd:", "ef:"], responses = [" axcde", " abcde", " xx"];
        float[] withAdapter = trained.Score(prompts, responses);

        var after = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(after);
        Assert.Equal(baseWeights, after);                     // saving merged a copy's worth and put the exact values back
        Assert.Null(model.MergedAdapter);
        Assert.Equal(withAdapter, trained.Score(prompts, responses));

        using var loaded = RewardModel.Load(output);
        Assert.Null(loaded.Adapter);
        float[] merged = loaded.Score(prompts, responses);
        // Merged weights compute W·x + s·B·A·x as (W + s·B·A)·x: a float32 rounding apart.
        for (int i = 0; i < merged.Length; i++) Assert.True(Math.Abs(merged[i] - withAdapter[i]) <= 1e-5, $"{merged[i]} vs {withAdapter[i]}");
        Assert.NotEqual(baseWeights, Weights(loaded.Trunk));  // the adapter's update is in the saved weights
    }

    [Fact]
    public async Task ABadPreferenceLineIsRefusedWithItsLineAndNothingIsWritten()
    {
        string data = WriteJsonl(_folder,
            """{"prompt": "ab:", "chosen": " axcde", "rejected": " abcde"}""",
            """{"prompt": "cd:", "chosen": " same", "rejected": " same"}""");
        string output = Path.Combine(_folder, "out");
        using var model = Model();
        var error = await Assert.ThrowsAsync<TrainingDataException>(() =>
            RewardModelTraining.For(model, Chars).OnPreferenceData(data).WithOptions(Options).SaveTo(output).RunAsync());
        Assert.Equal(2, error.LineNumber);
        Assert.Contains("the chosen and rejected responses are the same text", error.Message);
        Assert.False(Directory.Exists(output));
        await Assert.ThrowsAsync<InvalidOperationException>(() => RewardModelTraining.For(model, Chars).RunAsync());
    }

    [Fact]
    public async Task EvaluationDataInMemoryIsEvaluatedAsTheSameLinesInAFile()
    {
        var examples = Examples(48, seed: 3);
        var train = examples.Take(36).ToList();
        var held = examples.Skip(36).ToList();
        string file = WriteJsonl(_folder, [.. held.Select(e => JsonSerializer.Serialize(new { prompt = e.Prompt, responses = e.Responses }))]);

        async Task<IReadOnlyDictionary<string, double>> Run(Func<RewardModelTraining, RewardModelTraining> evaluation)
        {
            using var model = Model();
            var result = await evaluation(RewardModelTraining.For(model, Chars).OnPreferenceData(train))
                .WithOptions(o => Options(o) with { MaxSteps = 6, EvalInterval = 6 }).RunAsync();
            result.RewardModel.Dispose();
            return result.Evaluation;
        }

        var inMemory = await Run(r => r.WithEvaluationData(held));
        var fromFile = await Run(r => r.WithEvaluationData(file));
        Assert.Equal(fromFile["accuracy"], inMemory["accuracy"]);
        Assert.Equal(fromFile["margin"], inMemory["margin"]);
        using var spare = Model();
        Assert.Throws<ArgumentNullException>(() => RewardModelTraining.For(spare, Chars).WithEvaluationData((IEnumerable<PreferenceExample>)null!));
    }

    private static float[] Weights(GptModel model)
    {
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        return values;
    }
}

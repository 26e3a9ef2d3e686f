using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Ppo;

/// <summary>
/// PPO end to end on a tiny character model (alphabet "abcd", context 16) with a reward a program computes: the share of
/// the letter 'a' in the response. A random model writes about one 'a' in four; PPO should raise that within seconds.
/// </summary>
public sealed class PpoTrainerTests : IDisposable
{
    private static readonly CharTokenizer Chars = new("abcd");
    private static readonly GptConfig Config = new() { VocabularySize = 4, ContextLength = 16, EmbeddingSize = 16, LayerCount = 2, HeadCount = 2 };
    private static readonly PromptSet Prompts = PromptSet.FromTexts(["ab", "ba", "cd", "dc", "abc", "dcb"]);
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-ppo-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float ShareOfA(string prompt, string response) => response.Length == 0 ? 0 : response.Count(c => c == 'a') / (float)response.Length;

    private static PpoOptions Options(int iterations, string? output = null) => new()
    {
        Iterations = iterations, PromptsPerIteration = 12, MinibatchSize = 6, EpochsPerIteration = 4, MaxNewTokens = 6,
        LearningRate = 1e-2f, KlCoefficient = 0.02f, TargetKl = null, Seed = 5, OutputDirectory = output,
    };

    private static async Task<List<PpoProgress>> Run(GptModel model, PpoOptions options, LoraAdapter? adapter = null, IResponseScorer? scorer = null,
        TokenDataset? ptx = null)
    {
        using var trainer = new PpoTrainer(model, Chars, scorer ?? ResponseScorer.FromFunction(ShareOfA), Prompts, options, adapter, ptx);
        trainer.TryResume();
        var reports = new List<PpoProgress>();
        await trainer.RunAsync(new SyncProgress<PpoProgress>(reports.Add));
        return reports;
    }

    [Fact]
    public async Task MeanScoreRisesOnAProgrammaticReward()
    {
        using var model = new GptModel(Config, seed: 1);
        var reports = await Run(model, Options(iterations: 12));
        double first = reports[0].MeanScore, last = reports.TakeLast(3).Average(r => r.MeanScore);
        Assert.True(last > first + 0.25, $"mean score went from {first:F3} to {last:F3}");
        Assert.All(reports, r => Assert.True(double.IsFinite(r.MeanKl) && r.Entropy > 0 && r.MeanResponseLength == 6));
        Assert.True(reports[^1].MeanKl > 0, "the policy moved away from the reference, so its KL is positive");
    }

    [Fact]
    public async Task ALoraPolicyLearnsAgainstItsOwnBaseAndLeavesTheBaseUntouched()
    {
        using var model = new GptModel(Config, seed: 1);
        // A fresh model's tied embedding (std 0.02) caps how far the adapted blocks can move the logits through the final
        // LayerNorm; embeddings of unit scale, like a trained model's, leave the adapter room to learn.
        var embedding = new float[model.TokenEmbedding.Value.Length];
        var random = new Random(7);
        for (int i = 0; i < embedding.Length; i++) embedding[i] = (float)(random.NextDouble() * 2 - 1);
        model.TokenEmbedding.Value.CopyFrom(embedding);
        var before = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(before);
        var adapter = model.AddLoraAdapter("policy", new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [LoraConfig.AllLinear] }, seed: 2);
        var reports = await Run(model, Options(iterations: 12) with { LearningRate = 3e-2f }, adapter);
        double first = reports[0].MeanScore, last = reports.TakeLast(3).Average(r => r.MeanScore);
        Assert.True(last > first + 0.2, $"mean score went from {first:F3} to {last:F3}");
        var after = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(after);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task TwoRunsWithTheSameSeedGiveIdenticalMetrics()
    {
        using var first = new GptModel(Config, seed: 1);
        using var second = new GptModel(Config, seed: 1);
        var a = await Run(first, Options(iterations: 3));
        var b = await Run(second, Options(iterations: 3));
        Assert.Equal(a.Select(Comparable), b.Select(Comparable));
        Assert.NotEqual(Comparable(a[0]), Comparable(a[2]));
    }

    // Everything but wall time.
    private static string Comparable(PpoProgress p) =>
        string.Join(",", p.Metrics().Where(m => m.Key != "seconds").Select(m => $"{m.Key}={m.Value:R}")) + $",iteration={p.Iteration}";

    [Fact]
    public async Task AResumedRunContinuesExactlyAndLogsEveryIterationOnce()
    {
        string straight = Path.Combine(_folder, "straight"), resumed = Path.Combine(_folder, "resumed");
        var tokens = TinyModels.RandomIds(400, Config.VocabularySize, seed: 3);
        var ptx = TokenDataset.FromTokens(tokens);
        var options = Options(iterations: 4) with { PtxCoefficient = 0.5f, PtxBatchSize = 2, PtxSequenceLength = 8, TargetKl = 1f, KlHorizon = 100 };

        using (var model = new GptModel(Config, seed: 1))
            await Run(model, options with { OutputDirectory = straight }, ptx: ptx);
        using (var model = new GptModel(Config, seed: 1))
            await Run(model, options with { Iterations = 2, OutputDirectory = resumed }, ptx: ptx);
        List<PpoProgress> rest;
        using (var model = new GptModel(Config, seed: 1))
            rest = await Run(model, options with { OutputDirectory = resumed }, ptx: ptx);

        Assert.Equal([3, 4], rest.Select(r => r.Iteration));
        var straightRows = MetricsLog.Read(Path.Combine(straight, MetricsLog.FileName));
        var resumedRows = MetricsLog.Read(Path.Combine(resumed, MetricsLog.FileName));
        Assert.Equal([1, 2, 3, 4], resumedRows.Select(r => r.Step));
        string Row(MetricsRow row) => string.Join(",", row.Values.Where(v => v.Key != "seconds").Select(v => $"{v.Key}={v.Value:R}"));
        Assert.Equal(straightRows.Select(Row), resumedRows.Select(Row));
        Assert.True(double.IsFinite(resumedRows[^1].Values["ptx_loss"]));
        Assert.NotEqual(resumedRows[0].Values["kl_coef"], resumedRows[^1].Values["kl_coef"]);   // the adaptive β moved and was restored
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, PpoTrainer.ValueHeadFileName)), File.ReadAllBytes(Path.Combine(resumed, PpoTrainer.ValueHeadFileName)));
    }

    [Fact]
    public async Task TheSavedPolicyLoadsBackAsAModelFolder()
    {
        string output = Path.Combine(_folder, "out");
        using (var model = new GptModel(Config, seed: 1))
            await Run(model, Options(iterations: 1, output));
        using var loaded = GptModel.FromPretrained(output);
        Assert.Equal(Config, loaded.Config);
        Assert.True(File.Exists(Path.Combine(output, PpoTrainer.ValueHeadFileName)));
        Assert.True(File.Exists(Path.Combine(output, Checkpoint.FileName)));
    }

    [Fact]
    public async Task CancellationSavesTheCheckpointAndTheResult()
    {
        string output = Path.Combine(_folder, "cancelled");
        using var model = new GptModel(Config, seed: 1);
        using var trainer = new PpoTrainer(model, Chars, ResponseScorer.FromFunction(ShareOfA), Prompts, Options(iterations: 10, output));
        using var stop = new CancellationTokenSource();
        var progress = new SyncProgress<PpoProgress>(p =>
        {
            if (p.Iteration == 2) stop.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.RunAsync(progress, stop.Token));
        Assert.Equal(2, Checkpoint.ReadState(Path.Combine(output, Checkpoint.FileName)).Step);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public async Task SamplesTheScorerFailsOnAreSkippedAndReported()
    {
        // "cd" gets NaN and "dc" throws; each prompt is drawn twice per iteration (12 draws of 6 prompts).
        var scorer = ResponseScorer.FromFunction((prompt, response) => prompt switch
        {
            "cd" => float.NaN,
            "dc" => throw new InvalidOperationException("no score for dc"),
            _ => ShareOfA(prompt, response),
        });
        string output = Path.Combine(_folder, "skips");
        using var model = new GptModel(Config, seed: 1);
        var reports = await Run(model, Options(iterations: 2, output), scorer: scorer);
        Assert.All(reports, r => Assert.Equal(4, r.SkippedSamples));
        Assert.All(MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)), row => Assert.Equal(4, row.Values["skipped_samples"]));
    }

    [Fact]
    public async Task AScorerThatThrowsForTheWholeBatchIsAskedSampleBySample()
    {
        using var model = new GptModel(Config, seed: 1);
        var reports = await Run(model, Options(iterations: 1), scorer: new BatchRefusingScorer());
        Assert.Equal(2, reports[0].SkippedSamples);                 // only "abc" (drawn twice) fails on its own
    }

    private sealed class BatchRefusingScorer : IResponseScorer
    {
        public float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
        {
            if (prompts.Count > 1 || prompts[0] == "abc") throw new IOException("the reward service is down");
            return [ShareOfA(prompts[0], responses[0])];
        }
    }

    [Fact]
    public async Task AScorerThatFailsForEverySampleIsAnErrorThatSaysSo()
    {
        using var model = new GptModel(Config, seed: 1);
        var scorer = ResponseScorer.FromFunction((_, _) => throw new InvalidOperationException("broken reward"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(model, Options(iterations: 1), scorer: scorer));
        Assert.Contains("no usable score for any of the 12 responses", error.Message);
    }

    [Fact]
    public void APromptLongerThanTheContextMinusTheResponseBudgetIsRefusedWithItsLine()
    {
        string path = Path.Combine(_folder, "prompts.jsonl");
        File.WriteAllLines(path, ["{\"prompt\": \"ab\"}", "", "{\"prompt\": \"abcdabcdabc\"}"]);
        using var model = new GptModel(Config, seed: 1);
        var error = Assert.Throws<TrainingDataException>(() =>
            new PpoTrainer(model, Chars, ResponseScorer.FromFunction(ShareOfA), PromptSet.Load(path), Options(1)));
        Assert.Equal(3, error.LineNumber);
        Assert.Contains($"{path}:3:", error.Message);
        Assert.Contains("11 tokens", error.Message);
    }

    [Theory]
    [InlineData("", "holds no prompts")]
    [InlineData("{\"prompt\": \"\"}", ":1: the prompt is empty")]
    [InlineData("{\"text\": \"ab\"}", "the field \"prompt\" is missing")]
    [InlineData("not json", "not valid JSON")]
    public void BadPromptFilesAreRefused(string contents, string message)
    {
        string path = Path.Combine(_folder, "bad.jsonl");
        File.WriteAllText(path, contents);
        var error = Assert.Throws<TrainingDataException>(() => PromptSet.Load(path));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("Iterations", 0)]
    [InlineData("MinibatchSize", 13)]
    [InlineData("ClipRange", -0.1)]
    [InlineData("Gamma", 1.5)]
    [InlineData("Lambda", -1)]
    [InlineData("TargetKl", 0)]
    [InlineData("Temperature", 0)]
    [InlineData("LearningRate", double.NaN)]
    public void OptionsOutOfRangeAreRefusedByName(string option, double value)
    {
        var options = Options(1);
        options = option switch
        {
            "Iterations" => options with { Iterations = (int)value },
            "MinibatchSize" => options with { MinibatchSize = (int)value },
            "ClipRange" => options with { ClipRange = (float)value },
            "Gamma" => options with { Gamma = (float)value },
            "Lambda" => options with { Lambda = (float)value },
            "TargetKl" => options with { TargetKl = (float)value },
            "Temperature" => options with { Temperature = (float)value },
            _ => options with { LearningRate = (float)value },
        };
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains(option, error.Message);
    }

    [Fact]
    public void PtxWithoutPretrainingDataIsRefused()
    {
        using var model = new GptModel(Config, seed: 1);
        var error = Assert.Throws<ArgumentException>(() =>
            new PpoTrainer(model, Chars, ResponseScorer.FromFunction(ShareOfA), Prompts, Options(1) with { PtxCoefficient = 1 }));
        Assert.Contains("no pretraining data", error.Message);
    }

    [Fact]
    public void TheAdaptiveKlControllerMovesBetaTowardsTheTarget()
    {
        var controller = new KlController(0.2, target: 6, horizon: 10_000);
        controller.Update(kl: 12, samples: 100);                        // error clipped to +0.2: β·(1 + 0.2·100/10000)
        Assert.Equal(0.2 * 1.002, controller.Value, 12);
        controller.Update(kl: 3, samples: 100);                         // error −0.5 clipped to −0.2
        Assert.Equal(0.2 * 1.002 * 0.998, controller.Value, 12);
        var fixedBeta = new KlController(0.2, target: null, horizon: 10_000);
        fixedBeta.Update(kl: 50, samples: 100);
        Assert.Equal(0.2, fixedBeta.Value);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

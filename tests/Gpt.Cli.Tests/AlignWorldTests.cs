using System.Text.Json;
using Gpt.Cli.Commands.Bench;
using Gpt.Cli.Rewards;

namespace Gpt.Cli.Tests;

public sealed class AlignWorldTests : IDisposable
{
    private static readonly AlignWorld.Settings Small = new()
    {
        Seed = 7, CorpusSentences = 300, HeldOutSentences = 50, SftExamples = 400, PreferencePairs = 300, Rankings = 100, PpoPrompts = 50,
    };

    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-world-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float Score(string prompt, string response) => RequestedWordsReward.ScoreOne(prompt, response);

    [Fact]
    public void LabelsAgreeWithTheProgrammaticScore()
    {
        var world = AlignWorld.Generate(Small);
        Assert.All(world.Preferences, p => Assert.True(Score(p.Prompt, p.Chosen) > Score(p.Prompt, p.Rejected), $"{p.Prompt}: {p.Chosen} vs {p.Rejected}"));
        Assert.All(world.Rankings, r => Assert.Equal([1f, 0.5f, 0f], r.Responses.Select(x => Score(r.Prompt, x)).ToArray()));
        Assert.All(world.Sft, e => Assert.EndsWith(" .\n", e.Completion));
    }

    [Fact]
    public void DemonstrationsScoreAsTheirMixSays()
    {
        var world = AlignWorld.Generate(Small with { SftExamples = 4000 });
        double mean = world.Sft.Average(e => Score(e.Prompt, e.Completion));
        // 0.40·½ + 0.35·1 = 0.55; 4000 draws put the mean within ±0.02 with high probability, and the seed fixes it.
        Assert.InRange(mean, 0.53, 0.57);
    }

    [Fact]
    public void HeldOutPromptsAskForPairsNoTrainingPromptAsksFor()
    {
        var world = AlignWorld.Generate(Small);
        static string Pair(string prompt) => string.Join(",", RequestedWordsPrompt.TryParse(prompt)!.Order(StringComparer.Ordinal));
        var training = world.Sft.Select(e => e.Prompt).Concat(world.Preferences.Select(p => p.Prompt)).Concat(world.Rankings.Select(r => r.Prompt))
            .Concat(world.PpoPrompts).Select(Pair).ToHashSet();
        Assert.Equal(2 * Small.HeldOutPairs, world.EvalPrompts.Count);
        Assert.All(world.EvalPrompts, p => Assert.DoesNotContain(Pair(p), training));
    }

    [Fact]
    public void TheSameSeedWritesTheSameFilesInTheFormatsTheCommandsRead()
    {
        string first = Path.Combine(_folder, "a"), second = Path.Combine(_folder, "b");
        AlignWorld.Generate(Small).Write(first);
        AlignWorld.Generate(Small).Write(second);
        string[] files = [AlignWorld.CorpusFile, AlignWorld.HeldOutCorpusFile, AlignWorld.SftFile, AlignWorld.PreferencesFile, AlignWorld.RankingsFile,
            AlignWorld.PpoPromptsFile, AlignWorld.EvalPromptsFile, AlignWorld.DescriptionFile];
        foreach (string file in files) Assert.Equal(File.ReadAllText(Path.Combine(first, file)), File.ReadAllText(Path.Combine(second, file)));
        Assert.NotEqual(File.ReadAllText(Path.Combine(first, AlignWorld.SftFile)),
            File.ReadAllText(Path.Combine(AlignWorldTestsFolder(Small with { Seed = 8 }), AlignWorld.SftFile)));

        var preference = JsonDocument.Parse(File.ReadLines(Path.Combine(first, AlignWorld.PreferencesFile)).First()).RootElement;
        Assert.Equal(["prompt", "chosen", "rejected"], preference.EnumerateObject().Select(p => p.Name));
        var ranking = JsonDocument.Parse(File.ReadLines(Path.Combine(first, AlignWorld.RankingsFile)).First()).RootElement;
        Assert.Equal(3, ranking.GetProperty("responses").GetArrayLength());
        var sft = JsonDocument.Parse(File.ReadLines(Path.Combine(first, AlignWorld.SftFile)).First()).RootElement;
        Assert.Equal(["prompt", "completion"], sft.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Small.CorpusSentences, File.ReadAllLines(Path.Combine(first, AlignWorld.CorpusFile)).Length);

        string AlignWorldTestsFolder(AlignWorld.Settings settings)
        {
            string folder = Path.Combine(_folder, "c");
            AlignWorld.Generate(settings).Write(folder);
            return folder;
        }
    }

    [Fact]
    public void RefusesABadDemonstrationMixAndHeldOutCount()
    {
        Assert.Throws<ArgumentException>(() => AlignWorld.Generate(Small with { DemonstrationMix = [0.5, 0.6, 0.1] }));
        Assert.Throws<ArgumentException>(() => AlignWorld.Generate(Small with { HeldOutPairs = 0 }));
    }

    [Fact]
    public void BenchAlignDataOnlyWritesTheWorldFromTheCommandLine()
    {
        var result = GptProcess.Run("bench", "align", "--data", _folder, "--data-only", "--seed", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(3UL, json.RootElement.GetProperty("align").GetProperty("world").GetProperty("seed").GetUInt64());
        Assert.True(File.Exists(Path.Combine(_folder, AlignWorld.PpoPromptsFile)));
        Assert.False(Directory.Exists(Path.Combine(_folder, AlignBench.BaseFolder)));

        var bad = GptProcess.Run("bench", "align", "--data", _folder, "--sft-steps", "0");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--sft-steps must be at least 1", bad.Stderr);
    }
}

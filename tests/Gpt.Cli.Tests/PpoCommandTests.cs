using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt ppo</c>'s refusals, which come before anything is written (an unknown reward, no reward or two, a folder
/// that is not a reward model, an empty prompt, LoRA options without a rank), and a short run against a reward model of
/// another shape and tokenizer than the policy's. (The library's PPO runs are tested in Gpt.Sdk.Tests.)</summary>
public sealed class PpoCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-ppo-").FullName;
    private readonly string _base;

    public PpoCommandTests()
    {
        var tokenizer = new CharTokenizer("abcd ");
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 16, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        _base = Path.Combine(_folder, "base");
        using (var model = new GptModel(config, seed: 7)) model.Save(_base);
        tokenizer.Save(_base);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Prompts(params string[] prompts)
    {
        string path = Path.Combine(_folder, "prompts.jsonl");
        File.WriteAllLines(path, prompts.Select(p => $"{{\"prompt\": \"{p}\"}}"));
        return path;
    }

    [Fact]
    public void AnUnknownRewardIsRefusedAndNothingIsWritten()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("ppo", "--model", _base, "--reward", "no-such-reward", "--prompts", Prompts("ab"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("there is no built-in reward 'no-such-reward'", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AnEmptyPromptIsRefusedWithItsLineBeforeTheRewardIsLookedUp()
    {
        string output = Path.Combine(_folder, "out");
        string prompts = Prompts("ab", "");
        var result = GptProcess.Run("ppo", "--model", _base, "--reward", "no-such-reward", "--prompts", prompts, "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{prompts}:2: the prompt is empty", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void LoraOptionsWithoutARankAreRefused()
    {
        var result = GptProcess.Run("ppo", "--model", _base, "--reward", "x", "--prompts", Prompts("ab"), "--out", Path.Combine(_folder, "out"),
            "--lora-alpha", "4");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--lora-alpha applies to LoRA; add --lora-rank", result.Stderr);
    }

    [Fact]
    public void ARunWithoutARewardIsRefused()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("ppo", "--model", _base, "--prompts", Prompts("ab"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("give the reward to maximise: --reward-model DIR (a folder written by gpt rm) or --reward NAME (one of: requested-words)", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ARewardModelAndABuiltInRewardTogetherAreRefused()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("ppo", "--model", _base, "--reward", "requested-words", "--reward-model", _base, "--prompts", Prompts("ab"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("give --reward-model or --reward, not both", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ALanguageModelFolderIsRefusedAsARewardModelWithTheLibrarysMessage()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("ppo", "--model", _base, "--reward-model", _base, "--prompts", Prompts("ab"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no score_head.safetensors in '{_base}': the folder holds a language model but no reward head, so it is not a reward model", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void PpoRunsAgainstARewardModelOfAnotherShapeAndTokenizer()
    {
        // The reward model scores text: another vocabulary, width and depth than the policy's must not matter.
        var rewardTokenizer = CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));
        var rewardConfig = new GptConfig { VocabularySize = rewardTokenizer.VocabularySize, ContextLength = 24, EmbeddingSize = 32, LayerCount = 2, HeadCount = 4 };
        string rewardFolder = Path.Combine(_folder, "rm");
        using (var trunk = new GptModel(rewardConfig, seed: 3))
        using (var rewardModel = RewardModel.Create(trunk, rewardTokenizer, seed: 5))
            rewardModel.Save(rewardFolder);

        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("ppo", "--model", _base, "--reward-model", rewardFolder, "--prompts", Prompts("ab", "cd"), "--out", output,
            "--iterations", "2", "--batch", "2", "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "4", "--seed", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"reward: the reward model {rewardFolder}", result.Stderr);
        Assert.Matches(@"iteration 2/2 \| score -?[\d.]+ \| KL", result.Stderr);
        Assert.True(File.Exists(Path.Combine(output, PpoTrainer.ValueHeadFileName)));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, MetricsLog.FileName)).Length);
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var result = GptProcess.Run("ppo", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string option in new[] { "--reward", "--reward-model", "--prompts", "--ptx-data", "--ptx-coef", "--kl-coef", "--target-kl", "--lora-rank" })
            Assert.Contains(option, result.Stdout);
    }
}

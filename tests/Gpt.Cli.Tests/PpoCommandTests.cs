using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt ppo</c>'s refusals, which come before anything is written: an unknown reward, an empty prompt, LoRA
/// options without a rank. (A full run needs a built-in reward, which the alignment benchmark
/// registers; the library's PPO runs are tested in Gpt.Sdk.Tests.)</summary>
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
    public void HelpListsTheOptions()
    {
        var result = GptProcess.Run("ppo", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string option in new[] { "--reward", "--prompts", "--ptx-data", "--ptx-coef", "--kl-coef", "--target-kl", "--lora-rank" })
            Assert.Contains(option, result.Stdout);
    }
}

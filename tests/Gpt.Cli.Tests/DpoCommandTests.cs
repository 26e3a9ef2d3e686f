using System.Text.Json;
using System.Text.RegularExpressions;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt dpo</c> on a tiny character model made here: the full and the LoRA result with the reward metrics on the
/// progress line and in metrics.jsonl, resuming after Ctrl+C, and settings and data that are refused before anything is
/// written.</summary>
public sealed class DpoCommandTests : IDisposable
{
    private const string Context = "16";
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-dpo-").FullName;
    private readonly string _base;

    public DpoCommandTests()
    {
        var tokenizer = CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 32, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        _base = Path.Combine(_folder, "base");
        using (var model = new GptModel(config, seed: 7)) model.Save(_base);
        tokenizer.Save(_base);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FullDpoWritesAModelFolderAndReportsRewardMetrics()
    {
        string data = Jsonl("pairs.jsonl", Pairs());
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("dpo", "--model", _base, "--data", data, "--out", output, "--context", Context, "--steps", "4", "--lr", "1e-2",
            "--beta", "0.5", "--held-out", "0.25", "--eval-interval", "2", "--eval-batches", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("data: 6 training pairs (6 prompts); 2 pairs (2 prompts) for evaluation", result.Stderr);
        Assert.Contains("reference: the model as loaded", result.Stderr);
        Assert.Matches(@"step 2/4 \| loss \d\.\d+ \| acc \d\.\d+ margin -?\d\.\d+ \|.*\| val \d\.\d+ \| acc \d\.\d+ margin", result.Stderr);
        Assert.Contains("done: 4 steps", result.Stderr);

        using (var tuned = GptModel.FromPretrained(output))
        using (var original = GptModel.FromPretrained(_base))
            Assert.Equal(original.Config, tuned.Config);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(_base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, Checkpoint.FileName)));
        var rows = File.ReadAllLines(Path.Combine(output, MetricsLog.FileName));
        Assert.Equal(4, rows.Length);
        using var row = JsonDocument.Parse(rows[1]);
        foreach (string name in new[] { "loss", "reward_chosen", "reward_rejected", "reward_accuracy", "reward_margin", "logp_chosen", "logp_rejected",
                     "validation_loss", "validation_reward_accuracy", "validation_reward_margin" })
            Assert.True(row.RootElement.TryGetProperty(name, out _), $"metrics.jsonl lacks {name}: {rows[1]}");
    }

    [Fact]
    public void LoraIpoWritesAPeftAdapterFolder()
    {
        string data = Jsonl("pairs.jsonl", Pairs());
        string output = Path.Combine(_folder, "adapter");
        var result = GptProcess.Run("dpo", "--model", _base, "--data", data, "--out", output, "--context", Context, "--steps", "3", "--lr", "1e-2",
            "--loss", "ipo", "--beta", "0.1", "--lora-rank", "2", "--lora-targets", "c_attn,c_fc");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("reference: the base with the adapter off", result.Stderr);
        Assert.Contains("loss IPO, beta 0.1", result.Stderr);
        Assert.Contains("PEFT adapter saved to", result.Stderr);
        using var model = GptModel.FromPretrained(_base);
        var adapter = PeftAdapterFiles.Load(model, output);
        Assert.Equal(2, adapter.Config.Rank);
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameWeightsAsOneUninterruptedRun()
    {
        if (OperatingSystem.IsWindows()) return; // interrupted with a POSIX signal
        string data = Jsonl("pairs.jsonl", Pairs());
        string[] Args(string output) =>
            ["dpo", "--model", _base, "--data", data, "--out", output, "--context", Context, "--batch", "2", "--steps", "300", "--lr", "1e-2", "--warmup", "5"];
        string interrupted = Path.Combine(_folder, "interrupted"), whole = Path.Combine(_folder, "whole");

        var stopped = GptProcess.RunAndInterrupt("step 1/300", Args(interrupted));
        Assert.True(stopped.ExitCode == 130, stopped.Stderr);
        Assert.Matches(@"cancelled at step \d+/300; checkpoint and model saved to .*: run the same command to resume\.", stopped.Stderr);

        var resumed = GptProcess.Run(Args(interrupted));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        int from = int.Parse(Regex.Match(resumed.Stderr, @"resuming from step (\d+)").Groups[1].Value);
        Assert.InRange(from, 1, 299);

        var uninterrupted = GptProcess.Run(Args(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")), File.ReadAllBytes(Path.Combine(interrupted, "model.safetensors")));
    }

    [Fact]
    public void ADataErrorIsReportedWithFileAndLineAndNothingIsWritten()
    {
        string output = Path.Combine(_folder, "out");
        string same = Jsonl("same.jsonl", [.. Pairs().Take(2), JsonSerializer.Serialize(new { prompt = "a:", chosen = "aaa", rejected = "aaa" })]);
        var result = GptProcess.Run("dpo", "--model", _base, "--data", same, "--out", output, "--context", Context);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {same}:3: the chosen and rejected responses are the same text", result.Stderr);

        string empty = Jsonl("empty.jsonl", [JsonSerializer.Serialize(new { prompt = "a:", chosen = "", rejected = "bbb" })]);
        result = GptProcess.Run("dpo", "--model", _base, "--data", empty, "--out", output, "--context", Context);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {empty}:1: the chosen response is empty", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("--beta", "0", "--beta must be a positive number, got 0")]
    [InlineData("--beta", "-1", "--beta must be a positive number, got -1")]
    [InlineData("--label-smoothing", "0.5", "--label-smoothing must be in [0, 0.5), got 0.5")]
    [InlineData("--loss", "hinge", "hinge")]
    public void BadLossSettingsAreRefused(string option, string value, string message)
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("dpo", "--model", _base, "--data", Jsonl("pairs.jsonl", Pairs()), "--out", output, "--context", Context, option, value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void LabelSmoothingWithIpoIsRefused()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("dpo", "--model", _base, "--data", Jsonl("pairs.jsonl", Pairs()), "--out", output, "--context", Context,
            "--loss", "ipo", "--label-smoothing", "0.1");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--label-smoothing (0.1) applies to the sigmoid (DPO) loss only", result.Stderr);
    }

    private string Jsonl(string name, string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    // Prompt "c:" → chosen "ccc", rejected another letter three times: labelled by a program.
    private static string[] Pairs() =>
        [.. "abcdefgh".Select((c, i) => JsonSerializer.Serialize(new { prompt = $"{c}:", chosen = new string(c, 3), rejected = new string("abcdefgh"[(i + 1) % 8], 3) }))];
}

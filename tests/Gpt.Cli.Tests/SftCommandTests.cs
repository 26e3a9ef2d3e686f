using System.Text.Json;
using System.Text.RegularExpressions;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt sft</c> on a tiny character model made here: the full and the LoRA result, resuming after Ctrl+C,
/// and data that is refused before anything is written.</summary>
public sealed class SftCommandTests : IDisposable
{
    // Rows of 24 tokens: the prompt/completion examples below fit, the long ones (47 characters) do not.
    private const string Context = "24";

    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-sft-").FullName;
    private readonly string _base;

    public SftCommandTests()
    {
        var tokenizer = CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 32, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        _base = Path.Combine(_folder, "base");
        using (var model = new GptModel(config, seed: 7)) model.Save(_base);
        tokenizer.Save(_base);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FullFineTuneWritesALoadableModelFolderAndListsSkippedExamples()
    {
        string data = Jsonl("train.jsonl", Examples(10, longAt: [3, 6]));
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("sft", "--model", _base, "--data", data, "--out", output, "--context", Context, "--steps", "4", "--lr", "1e-2",
            "--held-out", "0.25", "--eval-interval", "2", "--eval-batches", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("skipped 2 examples longer than the context of 24 tokens: lines 3, 6", result.Stderr);
        Assert.Contains("data: 6 training examples", result.Stderr);
        Assert.Matches(@"step 2/4 \|.*\| val \d", result.Stderr);
        Assert.Contains($"done: 4 steps", result.Stderr);

        Assert.True(File.Exists(Path.Combine(output, Checkpoint.FileName)));
        using (var tuned = GptModel.FromPretrained(output))
        using (var original = GptModel.FromPretrained(_base))
            Assert.Equal(original.Config, tuned.Config);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(_base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.Equal(((CharTokenizer)TokenizerFiles.Load(_base)).Alphabet, Assert.IsType<CharTokenizer>(TokenizerFiles.Load(output)).Alphabet);

        var generated = GptProcess.Run("generate", "--model", output, "--prompt", "Q: ", "--max-tokens", "4");
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.StartsWith("Q: ", generated.Stdout);
    }

    [Fact]
    public void LoraFineTuneWritesAPeftAdapterFolder()
    {
        string data = Jsonl("train.jsonl", Examples(8));
        string output = Path.Combine(_folder, "adapter");
        var result = GptProcess.Run("sft", "--model", _base, "--data", data, "--out", output, "--context", Context, "--steps", "3", "--lr", "1e-2",
            "--lora-rank", "2", "--lora-alpha", "4", "--lora-targets", "c_attn,mlp.c_proj", "--rslora");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("training LoRA rank 2", result.Stderr);
        Assert.Contains("PEFT adapter saved to", result.Stderr);

        Assert.Equal(
            [PeftAdapterFiles.ConfigFileName, PeftAdapterFiles.WeightsFileName, Checkpoint.FileName, MetricsLog.FileName],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var model = GptModel.FromPretrained(_base);
        var adapter = PeftAdapterFiles.Load(model, output);
        Assert.Equal(2, adapter.Config.Rank);
        Assert.Equal(["c_attn", "mlp.c_proj"], adapter.Config.TargetModules);
        Assert.True(adapter.Config.UseRsLora);

        // B starts at zero, so a B that is not zero any more shows the adapter was trained (and saved after training).
        using var weights = SafetensorsFile.Open(Path.Combine(output, PeftAdapterFiles.WeightsFileName));
        var b = weights.Tensors.Single(t => t.Name.EndsWith("h.0.attn.c_attn.lora_B.weight", StringComparison.Ordinal));
        var values = new float[b.ElementCount];
        weights.ReadFloat32(b.Name, values);
        Assert.Contains(values, v => v != 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnInterruptedRunResumesToTheSameWeightsAsOneUninterruptedRun(bool lora)
    {
        if (OperatingSystem.IsWindows()) return; // interrupted with a POSIX signal
        string data = Jsonl("train.jsonl", Examples(8));
        // Enough steps (half a second or more of training) that the interrupt lands in the middle of the run.
        string[] Args(string output) =>
        [
            "sft", "--model", _base, "--data", data, "--out", output, "--context", Context, "--batch", "2", "--steps", "500",
            "--lr", "1e-2", "--warmup", "5", .. lora ? (string[])["--lora-rank", "2", "--lora-targets", "c_attn,c_fc"] : [],
        ];
        string weights = lora ? PeftAdapterFiles.WeightsFileName : "model.safetensors";
        string interrupted = Path.Combine(_folder, "interrupted"), whole = Path.Combine(_folder, "whole");

        var stopped = GptProcess.RunAndInterrupt("step 1/500", Args(interrupted));
        Assert.True(stopped.ExitCode == 130, stopped.Stderr);
        Assert.Matches(@"cancelled at step \d+/500; checkpoint and (adapter|model) saved to .*: run the same command to resume\.", stopped.Stderr);
        Assert.True(File.Exists(Path.Combine(interrupted, Checkpoint.FileName)));
        using (var model = GptModel.FromPretrained(lora ? _base : interrupted))
            if (lora) PeftAdapterFiles.Load(model, interrupted); // the result left behind is usable as it is

        var resumed = GptProcess.Run(Args(interrupted));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        int from = int.Parse(Regex.Match(resumed.Stderr, @"resuming from step (\d+)").Groups[1].Value);
        Assert.InRange(from, 1, 499);
        Assert.Contains("done: 500 steps", resumed.Stderr);

        var uninterrupted = GptProcess.Run(Args(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, weights)), File.ReadAllBytes(Path.Combine(interrupted, weights)));
    }

    [Fact]
    public void MalformedJsonIsRefusedWithFileAndLineAndNothingIsWritten()
    {
        string data = Jsonl("broken.jsonl", [.. Examples(2), """{"prompt": "Q: 3+3?", "completion": """]);
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("sft", "--model", _base, "--data", data, "--out", output, "--context", Context, "--steps", "2");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {data}:3: not valid JSON", result.Stderr);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AnUnknownRoleAndARefusedOverlongExampleAreClearErrors()
    {
        string output = Path.Combine(_folder, "out");
        string chat = JsonSerializer.Serialize(new { messages = new[] { new { role = "robot", content = "hi" }, new { role = "assistant", content = "yo" } } });
        string roles = Jsonl("roles.jsonl", [.. Examples(1), chat]);
        var role = GptProcess.Run("sft", "--model", _base, "--data", roles, "--out", output, "--context", Context);
        Assert.Equal(1, role.ExitCode);
        Assert.StartsWith($"error: {roles}:2: message 1 has role \"robot\"", role.Stderr);

        string overlong = Jsonl("overlong.jsonl", Examples(4, longAt: [3]));
        var refused = GptProcess.Run("sft", "--model", _base, "--data", overlong, "--out", output, "--context", Context, "--overlong", "refuse");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"error: {overlong}:3: the example is 47 tokens", refused.Stderr);
        Assert.Contains("more than the sequence length of 24", refused.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ALoraTargetThatMatchesNoLayerIsNamed()
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("sft", "--model", _base, "--data", Jsonl("train.jsonl", Examples(2)), "--out", output, "--context", Context,
            "--lora-rank", "2", "--lora-targets", "c_attn,q_proj");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: LoRA target module 'q_proj' matches no linear layer", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("--lora-alpha", "16", "--lora-alpha applies to LoRA; add --lora-rank")]
    [InlineData("--held-out", "1.5", "--held-out is the fraction")]
    [InlineData("--context", "64", "sequence length 64 exceeds the model's context of 32")]
    public void OptionsThatCannotWorkAreRefused(string option, string value, string message)
    {
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("sft", "--model", _base, "--data", Jsonl("train.jsonl", Examples(4)), "--out", output, option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    private string Jsonl(string name, string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    // Prompt/completion examples of 14 to 17 characters; those numbered in longAt (1-based lines) have 47.
    private static string[] Examples(int count, int[]? longAt = null) =>
        Enumerable.Range(1, count)
            .Select(i => longAt?.Contains(i) == true
                ? JsonSerializer.Serialize(new { prompt = $"Q: {new string('x', 37)}?", completion = " A: x." })
                : JsonSerializer.Serialize(new { prompt = $"Q: {i}+{i}?", completion = $" A: {2 * i}." }))
            .ToArray();
}

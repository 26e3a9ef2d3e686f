using System.Text.Json;

namespace Gpt.Cli.Tests;

public sealed class CommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string TrainTiny(int steps)
    {
        string data = Path.Combine(_folder, "data.txt");
        if (!File.Exists(data)) File.WriteAllText(data, string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog sat on the log. ", 40)));
        string model = Path.Combine(_folder, "model");
        var result = GptProcess.Run("train", "--data", data, "--out", model, "--steps", steps.ToString(), "--layers", "1", "--heads", "2",
            "--width", "16", "--context", "16", "--batch", "4", "--eval-interval", "5", "--eval-batches", "2", "--checkpoint-interval", "5");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    [Fact]
    public void TrainResumeGenerateAndEvalWorkEndToEnd()
    {
        string model = TrainTiny(10);
        Assert.True(File.Exists(Path.Combine(model, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(model, "config.json")));
        Assert.True(File.Exists(Path.Combine(model, "checkpoint.safetensors")));

        var resumed = GptProcess.Run("train", "--data", Path.Combine(_folder, "data.txt"), "--out", model, "--steps", "15", "--eval-interval", "0");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("resuming from step 10", resumed.Stderr);
        Assert.Contains("step 15/15", resumed.Stderr);

        var generated = GptProcess.Run("generate", "--model", model, "--prompt", "the ", "--max-tokens", "20", "--seed", "3");
        Assert.Equal(0, generated.ExitCode);
        Assert.StartsWith("the ", generated.Stdout);
        Assert.Equal(generated.Stdout, GptProcess.Run("generate", "--model", model, "--prompt", "the ", "--max-tokens", "20", "--seed", "3").Stdout);

        string ids = Path.Combine(_folder, "ids.json"), logits = Path.Combine(_folder, "logits.bin");
        File.WriteAllText(ids, "[[1,2,3,4,5],[5,4,3,2,1]]");
        var eval = GptProcess.Run("eval", "--model", model, "--ids", ids, "--logits-out", logits);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var json = JsonDocument.Parse(eval.Stdout);
        double loss = json.RootElement.GetProperty("loss").GetDouble();
        Assert.Equal(Math.Exp(loss), json.RootElement.GetProperty("perplexity").GetDouble(), 6);
        Assert.Equal(8, json.RootElement.GetProperty("tokens").GetInt32());
        int vocab = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json"))).RootElement.GetProperty("vocab_size").GetInt32();
        Assert.Equal(2 * 5 * vocab * sizeof(float), new FileInfo(logits).Length);
    }

    [Fact]
    public void BadInputGivesOneLineErrorsAndNonZeroExit()
    {
        var missing = GptProcess.Run("generate", "--model", Path.Combine(_folder, "absent"), "--prompt", "x");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error:", missing.Stderr);
        Assert.DoesNotContain("   at ", missing.Stderr);

        string model = TrainTiny(2);
        var temperature = GptProcess.Run("generate", "--model", model, "--prompt", "the", "--temperature", "-1");
        Assert.Equal(1, temperature.ExitCode);
        Assert.Contains("temperature", temperature.Stderr, StringComparison.OrdinalIgnoreCase);

        string ids = Path.Combine(_folder, "ragged.json");
        File.WriteAllText(ids, "[[1,2,3],[1,2]]");
        var ragged = GptProcess.Run("eval", "--model", model, "--ids", ids);
        Assert.Equal(1, ragged.ExitCode);
        Assert.Contains("same length", ragged.Stderr);

        Assert.NotEqual(0, GptProcess.Run("eval", "--model", model).ExitCode);
    }
}

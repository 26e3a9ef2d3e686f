using System.Text.Json;

namespace Gpt.Cli.Tests;

/// <summary><c>--weights fp32|bf16|int8</c> on the commands that load a model for inference, and <c>gpt bench decode --weights</c>.</summary>
public sealed class WeightsOptionTests : IClassFixture<WeightsOptionTests.TinyModel>
{
    private readonly string _model;

    public WeightsOptionTests(TinyModel model) => _model = model.Folder;

    public sealed class TinyModel : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("gpt-weights-").FullName;

        public TinyModel()
        {
            Data = Path.Combine(_root, "data.txt");
            File.WriteAllText(Data, string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog sat on the log.\n", 40)));
            Folder = Path.Combine(_root, "model");
            // 32 wide: whole blocks of 32 for int8.
            var result = GptProcess.Run("train", "--data", Data, "--out", Folder, "--steps", "3", "--layers", "1", "--heads", "2",
                "--width", "32", "--context", "32", "--batch", "4", "--eval-interval", "0");
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        public string Folder { get; }

        public string Data { get; }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("bf16")]
    [InlineData("int8")]
    public void GenerateAndEvalRunWithCompactWeights(string weights)
    {
        var generated = GptProcess.Run("generate", "--model", _model, "--prompt", "the ", "--max-tokens", "12", "--temperature", "0", "--weights", weights);
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.Contains("[finish: length; 4 prompt + 12 generated tokens]", generated.Stderr);

        string text = Path.Combine(Path.GetDirectoryName(_model)!, "data.txt");
        var compact = GptProcess.Run("eval", "--model", _model, "--text", text, "--weights", weights);
        var fp32 = GptProcess.Run("eval", "--model", _model, "--text", text);
        Assert.True(compact.ExitCode == 0, compact.Stderr);
        double compactLoss = JsonDocument.Parse(compact.Stdout).RootElement.GetProperty("loss").GetDouble();
        double fp32Loss = JsonDocument.Parse(fp32.Stdout).RootElement.GetProperty("loss").GetDouble();
        // The same model with rounded weights: close to its fp32 loss, not the same bits.
        Assert.InRange(Math.Abs(compactLoss - fp32Loss), 0, 0.02 * fp32Loss);
    }

    [Fact]
    public void UnknownStoragesAreRefusedWithTheChoices()
    {
        var generate = GptProcess.Run("generate", "--model", _model, "--prompt", "hi", "--weights", "int4");
        Assert.Equal(1, generate.ExitCode);
        Assert.Contains("fp32", generate.Stderr);

        var bench = GptProcess.Run("bench", "decode", "--weights", "fp32,fp16");
        Assert.Equal(1, bench.ExitCode);
        Assert.Contains("'fp16' is not a weight storage", bench.Stderr);
        Assert.DoesNotContain("   at ", bench.Stderr);
    }
}

using System.Text.Json;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt eval choice</c> on the PyTorch fixture's tiny GPT-2 given a 61-character tokenizer.</summary>
public sealed class EvalChoiceCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-cli-choice-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void PrintsAccAndAccNormOnTheLastLineZeroAndKShot()
    {
        string model = ModelWithAlphabet();
        string data = Write("test.jsonl",
            """{"context": "the sky is", "choices": ["blue", "green"], "answer": 0}""",
            """{"context": "grass is", "choices": ["red", "green", "a long one"], "answer": 1}""");
        string dev = Write("dev.jsonl",
            """{"context": "snow is", "choices": ["white", "black"], "answer": 0}""",
            """{"context": "coal is", "choices": ["white", "black"], "answer": 1}""");

        foreach (string[] extra in new[] { Array.Empty<string>(), ["--shots", "2", "--dev", dev, "--seed", "3", "--batch", "2"] })
        {
            var result = GptProcess.Run(["eval", "choice", "--model", model, "--data", data, .. extra]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var json = JsonDocument.Parse(result.Stdout.TrimEnd().Split('\n')[^1]);
            Assert.Equal(2, json.RootElement.GetProperty("items").GetInt32());
            foreach (string figure in new[] { "acc", "acc_norm" })
                Assert.Contains(json.RootElement.GetProperty(figure).GetDouble(), new[] { 0, 0.5, 1 });
            Assert.Contains("scored 5/5 choices", result.Stderr);
        }
    }

    [Fact]
    public void BadInputIsAOneLineError()
    {
        string model = ModelWithAlphabet();
        string data = Write("bad.jsonl", """{"context": "a", "choices": ["x"], "answer": 0}""", """{"context": "a", "choices": [], "answer": 0}""");

        var bad = GptProcess.Run("eval", "choice", "--model", model, "--data", data);
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith($"error: {data}:2: \"choices\" is empty", bad.Stderr);

        var noDev = GptProcess.Run("eval", "choice", "--model", model, "--data", data, "--shots", "1");
        Assert.NotEqual(0, noDev.ExitCode);
        Assert.Contains("--dev", noDev.Stderr);
    }

    private string ModelWithAlphabet()
    {
        string folder = Path.Combine(_folder, "model");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Reference", "lora_tiny")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        string alphabet = " \n" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + ".,:!?'-";
        File.WriteAllText(Path.Combine(folder, "chars.json"), JsonSerializer.Serialize(new { type = "char", alphabet }));
        return folder;
    }

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}

using System.Text.Json;

namespace Gpt.Cli.Tests;

public sealed class EvalAnswersCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-eval-answers-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    // A tiny character model trained briefly on worked sums: enough to run the command, not to be right.
    private string TrainTiny()
    {
        var random = new Random(1);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            int a = random.Next(10), b = random.Next(10);
            text.Append($"Q: {a}+{b}?\nA: {a} plus {b} is {a + b}. The answer is {a + b}.\n\n");
        }
        string data = Path.Combine(_folder, "sums.txt");
        File.WriteAllText(data, text.ToString());
        string model = Path.Combine(_folder, "model");
        var result = GptProcess.Run("train", "--data", data, "--out", model, "--steps", "20", "--layers", "1", "--heads", "2",
            "--width", "16", "--context", "96", "--batch", "4", "--eval-interval", "0", "--checkpoint-interval", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    [Fact]
    public void PrintsGreedyAndSelfConsistencyAccuracyAsJsonOnTheLastLine()
    {
        string model = TrainTiny();
        string data = Write("test.jsonl", """{"question": "1+2?", "answer": "3"}""", "", """{"question": "3+4?", "answer": 7}""", """{"question": "5+1?", "answer": "6"}""");
        string dev = Write("dev.jsonl", """{"question": "2+2?", "answer": "4", "solution": "2 plus 2 is 4."}""",
            """{"question": "4+1?", "answer": "5", "solution": "4 plus 1 is 5."}""");
        string[] args = ["eval", "answers", "--model", model, "--data", data, "--dev", dev, "--shots", "2", "--cot", "--n", "3", "--max-tokens", "24", "--seed", "4"];
        var result = GptProcess.Run(args);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout.TrimEnd().Split('\n')[^1]);
        var figures = json.RootElement;
        Assert.Equal(3, figures.GetProperty("items").GetInt32());
        Assert.Equal(3, figures.GetProperty("n").GetInt32());
        foreach (string key in (string[])["greedy_accuracy", "self_consistency_accuracy", "mean_vote_share"])
            Assert.InRange(figures.GetProperty(key).GetDouble(), 0, 1);
        Assert.Contains("question 3/3", result.Stderr);
        Assert.Contains("2 exemplars with worked solutions", result.Stderr);

        // The same seed gives the same figures.
        Assert.Equal(result.Stdout, GptProcess.Run(args).Stdout);

        // The subcommand does not take the parent's place: perplexity still runs on text.
        var perplexity = GptProcess.Run("eval", "--model", model, "--text", Path.Combine(_folder, "sums.txt"));
        Assert.True(perplexity.ExitCode == 0, perplexity.Stderr);
        Assert.Contains("perplexity", perplexity.Stdout);
    }

    [Fact]
    public void BadInputIsRefusedWithFileAndLine()
    {
        string model = Path.Combine(_folder, "no-model"); // the data is read before the model, so none is needed here
        string broken = Write("broken.jsonl", """{"question": "1+2?", "answer": "3"}""", """{"question": "1+2?", "answer": """);
        var syntax = GptProcess.Run("eval", "answers", "--model", model, "--data", broken);
        Assert.Equal(1, syntax.ExitCode);
        Assert.Contains("broken.jsonl:2:", syntax.Stderr);
        Assert.Contains("not valid JSON", syntax.Stderr);

        string noAnswer = Write("no-answer.jsonl", "", """{"question": "1+2?"}""");
        var missing = GptProcess.Run("eval", "answers", "--model", model, "--data", noAnswer);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-answer.jsonl:2: the object has no \"answer\"", missing.Stderr);

        string data = Write("ok.jsonl", """{"question": "1+2?", "answer": "3"}""");
        string dev = Write("dev.jsonl", """{"question": "2+2?", "answer": "4"}""");
        var noSolution = GptProcess.Run("eval", "answers", "--model", model, "--data", data, "--dev", dev, "--cot");
        Assert.Equal(1, noSolution.ExitCode);
        Assert.Contains("dev.jsonl:1:", noSolution.Stderr);
        Assert.Contains("solution", noSolution.Stderr);

        var shotsWithoutDev = GptProcess.Run("eval", "answers", "--model", model, "--data", data, "--shots", "2");
        Assert.Equal(1, shotsWithoutDev.ExitCode);
        Assert.Contains("--dev", shotsWithoutDev.Stderr);

        var greedyTemperature = GptProcess.Run("eval", "answers", "--model", model, "--data", data, "--temperature", "0");
        Assert.Equal(1, greedyTemperature.ExitCode);
        Assert.Contains("temperature", greedyTemperature.Stderr);
        Assert.All((string[])[syntax.Stderr, missing.Stderr, noSolution.Stderr], e => Assert.DoesNotContain("   at ", e));
    }
}

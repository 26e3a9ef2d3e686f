using System.Text.Json;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt generate</c>'s options and <c>gpt chat</c>, on a tiny character model trained once.</summary>
public sealed class GenerateCommandTests : IClassFixture<GenerateCommandTests.TinyChatModel>
{
    private readonly string _model;

    public GenerateCommandTests(TinyChatModel model) => _model = model.Folder;

    /// <summary>A character model trained for a few steps on chat-shaped text, shared by the tests.</summary>
    public sealed class TinyChatModel : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("gpt-generate-").FullName;

        public TinyChatModel()
        {
            string data = Path.Combine(_root, "data.txt");
            File.WriteAllText(data, string.Concat(Enumerable.Repeat("System: be kind\n\nUser: hi there\n\nAssistant: hello, the cat sat.\n\n", 30)));
            Folder = Path.Combine(_root, "model");
            var result = GptProcess.Run("train", "--data", data, "--out", Folder, "--steps", "3", "--layers", "1", "--heads", "2",
                "--width", "16", "--context", "96", "--batch", "4", "--eval-interval", "0");
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        public string Folder { get; }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void StreamingPrintsTheSameTextAsAWholeResult()
    {
        string[] args = ["generate", "--model", _model, "--prompt", "User: ", "--max-tokens", "25", "--seed", "4", "--top-k", "5", "--top-p", "0.9", "--min-p", "0.05"];
        var whole = GptProcess.Run(args);
        var streamed = GptProcess.Run([.. args, "--stream"]);
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal(whole.Stdout, streamed.Stdout);
        Assert.Contains("[finish: length; 6 prompt + 25 generated tokens]", whole.Stderr);
    }

    [Fact]
    public void JsonResultHasEveryCompletionWithLogprobsAndStops()
    {
        var result = GptProcess.Run("generate", "--model", _model, "--prompt", "hel", "--max-tokens", "40", "--n", "3", "--logprobs", "2",
            "--stop", "\\n", "--stop", "t", "--repetition-penalty", "1.3", "--presence-penalty", "0.5", "--logit-bias", "0=-inf", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var completions = json.RootElement.GetProperty("completions");
        Assert.Equal(3, completions.GetArrayLength());
        foreach (var completion in completions.EnumerateArray())
        {
            string text = completion.GetProperty("text").GetString()!;
            Assert.DoesNotContain('\n', text);
            Assert.DoesNotContain('t', text);
            var tokens = completion.GetProperty("tokens");
            Assert.All(tokens.EnumerateArray(), t => Assert.Equal(2, t.GetProperty("top").GetArrayLength()));
            Assert.All(tokens.EnumerateArray(), t => Assert.NotEqual(0, t.GetProperty("id").GetInt32())); // banned by the bias
        }
    }

    [Theory]
    [InlineData("--temperature", "-1", "Temperature")]
    [InlineData("--temperature", "NaN", "Temperature")]
    [InlineData("--top-p", "0", "TopP")]
    [InlineData("--top-p", "1.5", "TopP")]
    [InlineData("--min-p", "2", "MinP")]
    [InlineData("--n", "0", "N")]
    [InlineData("--logit-bias", "x=1", "--logit-bias")]
    [InlineData("--temperature", "warm", "Cannot parse")]
    public void BadOptionValuesAreRefusedWithAClearError(string option, string value, string message)
    {
        var result = GptProcess.Run("generate", "--model", _model, "--prompt", "hi", option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void PromptLongerThanTheContextAndMissingFoldersAreRefused()
    {
        var tooLong = GptProcess.Run("generate", "--model", _model, "--prompt", new string('a', 100));
        Assert.Equal(1, tooLong.ExitCode);
        Assert.Contains("context holds 96", tooLong.Stderr);

        var missing = GptProcess.Run("chat", "--model", Path.Combine(_model, "absent"));
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error:", missing.Stderr);

        var noFim = GptProcess.Run("generate", "--model", _model, "--prompt", "hi", "--insert-suffix", "there");
        Assert.Equal(1, noFim.ExitCode);
        Assert.Contains("fill-in-the-middle", noFim.Stderr);
    }

    [Fact]
    public void ChatAnswersEachLineUntilExit()
    {
        var result = GptProcess.RunWithInput("hi there\nhello\n/reset\nhi\n/exit\nnot read\n", "chat", "--model", _model, "--system", "be kind", "--max-tokens", "6", "--seed", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(3, result.Stderr.Split("assistant> ").Length - 1);
        Assert.Equal(3, result.Stdout.Split('\n', StringSplitOptions.None).Length - 1);
    }

    [Fact]
    public void ChatGoesOnAfterTheConversationOutgrowsTheContext()
    {
        string longLine = string.Concat(Enumerable.Repeat("hi there ", 12));
        var result = GptProcess.RunWithInput($"{longLine}\n/reset\nhi\n", "chat", "--model", _model, "--max-tokens", "4", "--seed", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("context holds 96", result.Stderr);
        Assert.Equal(2, result.Stderr.Split("assistant> ").Length - 1);
    }
}

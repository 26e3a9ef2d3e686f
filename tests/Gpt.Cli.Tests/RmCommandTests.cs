using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt rm</c> and <c>gpt score</c> on a tiny character model made here: a reward model that learns a
/// preference and scores with it, resuming after Ctrl+C, and data or folders that are refused with clear messages.</summary>
public sealed class RmCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-rm-").FullName;
    private readonly string _base;

    public RmCommandTests()
    {
        var tokenizer = CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 16, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 };
        _base = Path.Combine(_folder, "base");
        using (var model = new GptModel(config, seed: 7)) model.Save(_base);
        tokenizer.Save(_base);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ARewardModelLearnsThePreferenceAndGptScoresWithIt()
    {
        string data = Jsonl("prefs.jsonl", Preferences(120));
        string output = Path.Combine(_folder, "rm");
        var result = GptProcess.Run("rm", "--model", _base, "--data", data, "--out", output, "--held-out", "0.2", "--steps", "60", "--batch", "8",
            "--lr", "3e-3", "--warmup", "5", "--eval-interval", "30", "--eval-batches", "50", "--seed", "11");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("data: 96 training prompts", result.Stderr);
        Assert.Matches(@"step 30/60 \| loss [\d.]+ \| acc [\d.]+ margin -?[\d.]+ \|.*\| val [\d.]+ \| acc [\d.]+ margin", result.Stderr);
        double accuracy = double.Parse(Regex.Match(result.Stderr, @"done: 60 steps.*eval accuracy ([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.9, result.Stderr);
        Assert.True(File.Exists(Path.Combine(output, MetricsLog.FileName)));

        float With = Score(output, " axcde"), Without = Score(output, " abcde");
        Assert.True(With > Without, $"{With} vs {Without}");

        string pairs = Jsonl("score.jsonl", [
            JsonSerializer.Serialize(new { prompt = "ab:", response = " axcde" }),
            "",
            JsonSerializer.Serialize(new { prompt = "ab:", response = new string('y', 20) }),
        ]);
        var scored = GptProcess.Run("score", "--model", output, "--data", pairs);
        Assert.True(scored.ExitCode == 0, scored.Stderr);
        var lines = scored.Stdout.TrimEnd().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 3], lines.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal(With, lines[0].GetProperty("score").GetSingle(), 5);
        Assert.Equal(JsonValueKind.Null, lines[1].GetProperty("score").ValueKind); // longer than the context
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameRewardModelAsOneUninterruptedRun()
    {
        if (OperatingSystem.IsWindows()) return; // interrupted with a POSIX signal
        string data = Jsonl("prefs.jsonl", Preferences(40));
        string[] Args(string output) =>
            ["rm", "--model", _base, "--data", data, "--out", output, "--batch", "2", "--steps", "400", "--lr", "1e-3", "--warmup", "5", "--lora-rank", "2"];
        string interrupted = Path.Combine(_folder, "interrupted"), whole = Path.Combine(_folder, "whole");

        var stopped = GptProcess.RunAndInterrupt("step 1/400", Args(interrupted));
        Assert.True(stopped.ExitCode == 130, stopped.Stderr);
        Assert.Matches(@"cancelled at step \d+/400; checkpoint and reward model saved to .*: run the same command to resume\.", stopped.Stderr);
        Assert.True(Score(interrupted, " xx") is var usable && float.IsFinite(usable));

        var resumed = GptProcess.Run(Args(interrupted));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.InRange(int.Parse(Regex.Match(resumed.Stderr, @"resuming from step (\d+)").Groups[1].Value), 1, 399);
        Assert.Contains("(adapter merged)", resumed.Stderr);

        var uninterrupted = GptProcess.Run(Args(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
        foreach (string file in new[] { "model.safetensors", "score_head.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, file)), File.ReadAllBytes(Path.Combine(interrupted, file)));
    }

    [Fact]
    public void APreferenceWhoseChosenEqualsRejectedIsRefusedWithFileAndLine()
    {
        string data = Jsonl("bad.jsonl", [.. Preferences(2), """{"prompt": "ab:", "chosen": " same", "rejected": " same"}"""]);
        string output = Path.Combine(_folder, "out");
        var result = GptProcess.Run("rm", "--model", _base, "--data", data, "--out", output, "--steps", "2");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {data}:3: the chosen and rejected responses are the same text", result.Stderr);
        Assert.False(Directory.Exists(output));

        string empty = Jsonl("empty.jsonl", [.. Preferences(1), """{"prompt": "ab:", "responses": [" a", ""]}"""]);
        var refused = GptProcess.Run("rm", "--model", _base, "--data", empty, "--out", output, "--steps", "2");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"error: {empty}:2: the rejected response is empty", refused.Stderr);
    }

    [Fact]
    public void ScoringALanguageModelFolderOrAHeadOfAnotherBaseIsAClearError()
    {
        var plain = GptProcess.Run("score", "--model", _base, "--prompt", "ab:", "--response", " x");
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("no score_head.safetensors in", plain.Stderr);
        Assert.Contains("not a reward model", plain.Stderr);

        string output = Path.Combine(_folder, "rm");
        Assert.Equal(0, GptProcess.Run("rm", "--model", _base, "--data", Jsonl("p.jsonl", Preferences(4)), "--out", output, "--steps", "1").ExitCode);
        string other = Path.Combine(_folder, "other");
        var tokenizer = TokenizerFiles.Load(_base);
        using (var model = new GptModel(new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 16, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 }))
            model.Save(other, tokenizer);
        File.Copy(Path.Combine(output, "score_head.safetensors"), Path.Combine(other, "score_head.safetensors"));
        var mismatch = GptProcess.Run("score", "--model", other, "--prompt", "ab:", "--response", " x");
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("trained on a base of 1 layers, 2 heads, width 32", mismatch.Stderr);
        Assert.Contains("the folder's model is 1 layers, 2 heads, width 16", mismatch.Stderr);

        var both = GptProcess.Run("score", "--model", output, "--prompt", "ab:");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--response is missing", both.Stderr);
    }

    private static float Score(string model, string response)
    {
        var result = GptProcess.Run("score", "--model", model, "--prompt", "ab:", "--response", response);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return float.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    private string Jsonl(string name, string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    // A response with the letter x beats one without; every fourth line is a ranked list (two x's, one, none).
    private static string[] Preferences(int count)
    {
        const string Letters = "abcdefgh";
        var random = new Random(1);
        string Word(int xs)
        {
            var chars = Enumerable.Range(0, 5).Select(_ => Letters[random.Next(Letters.Length)]).ToArray();
            foreach (int i in Enumerable.Range(0, 5).OrderBy(_ => random.Next()).Take(xs)) chars[i] = 'x';
            return " " + new string(chars);
        }

        return [.. Enumerable.Range(0, count).Select(i =>
        {
            string prompt = $"{Letters[random.Next(Letters.Length)]}{Letters[random.Next(Letters.Length)]}:";
            return i % 4 == 3
                ? JsonSerializer.Serialize(new { prompt, responses = new[] { Word(2), Word(1), Word(0) } })
                : JsonSerializer.Serialize(new { prompt, chosen = Word(1), rejected = Word(0) });
        })];
    }
}

using System.Text.Json;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt eval code</c> on a small problems file: canonical solutions pass, a wrong sample fails, the pass@k
/// figures are the last line of stdout, and bad input is a one-line error.</summary>
public sealed class EvalCodeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-eval-code-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CanonicalSolutionsPassAndAWrongSampleFails()
    {
        string problems = Write("problems.jsonl",
            """{"task_id": "T/add", "prompt": "def add(a, b):\n", "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "entry_point": "add", "canonical_solution": "    return a + b\n"}""",
            """{"task_id": "T/rev", "prompt": "def rev(s):\n", "test": "def check(candidate):\n    assert candidate('abc') == 'cba'\n", "entry_point": "rev", "canonical_solution": "    return s[::-1]\n"}""");
        string samples = Write("samples.jsonl",
            """{"task_id": "T/add", "completion": "    return a + b\n"}""",
            """{"task_id": "T/add", "completion": "    return a - b\n"}""",
            """{"task_id": "T/rev", "completion": "    return s[::-1]\n"}""",
            """{"task_id": "T/rev", "completion": "    return s[::-1]\n"}""");
        string results = Path.Combine(_folder, "results.jsonl");

        var run = GptProcess.Run("eval", "code", "--problems", problems, "--samples", samples, "--k", "1,2,3", "--timeout", "5", "--results-out", results);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var figures = JsonDocument.Parse(run.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(0.75, figures.RootElement.GetProperty("pass@1").GetDouble(), 12);
        Assert.Equal(1.0, figures.RootElement.GetProperty("pass@2").GetDouble(), 12);
        Assert.False(figures.RootElement.TryGetProperty("pass@3", out _));
        Assert.Contains("pass@3: not computed", run.Stderr);
        var lines = File.ReadAllLines(results).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([true, false, true, true], lines.Select(l => l.GetProperty("passed").GetBoolean()));
        Assert.Equal("failed: AssertionError", lines[1].GetProperty("result").GetString());
    }

    [Fact]
    public void BadInputIsAOneLineError()
    {
        string problems = Write("problems.jsonl", """{"task_id": "T/add", "prompt": "def add(a, b):\n", "test": "", "entry_point": "add"}""");
        string unknown = Write("unknown.jsonl", """{"task_id": "T/none", "completion": ""}""");
        var run = GptProcess.Run("eval", "code", "--problems", problems, "--samples", unknown);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{unknown}:1: a sample for task \"T/none\"", run.Stderr);

        string malformed = Write("malformed.jsonl", """{"task_id": "T/add", "prompt": "", "test": ""}""");
        run = GptProcess.Run("eval", "code", "--problems", malformed, "--samples", unknown);
        Assert.Contains($"{malformed}:1: the field \"entry_point\" is missing", run.Stderr);

        run = GptProcess.Run("eval", "code", "--problems", problems, "--samples", unknown, "--interpreter", "no-such-python-3x");
        Assert.Contains("'no-such-python-3x' is not installed", run.Stderr);

        Assert.NotEqual(0, GptProcess.Run("eval", "code", "--problems", problems).ExitCode);
    }

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}

using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

public sealed class HumanEvalFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-humaneval-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Problem = """{"task_id": "T/0", "prompt": "def add(a, b):\n", "test": "def check(f):\n    assert f(1, 2) == 3\n", "entry_point": "add", "canonical_solution": "    return a + b\n"}""";

    [Fact]
    public void ReadsProblemsAndBuildsTheProgram()
    {
        string path = Write("problems.jsonl", Problem, "");
        var problem = Assert.Single(HumanEvalFiles.ReadProblems(path));
        Assert.Equal("    return a + b\n", problem.CanonicalSolution);
        Assert.Equal("def add(a, b):\n    return a + b\n\ndef check(f):\n    assert f(1, 2) == 3\n\ncheck(add)\n", problem.Program(problem.CanonicalSolution!));
    }

    [Theory]
    [InlineData("{\"task_id\": \"T/1\", ", ":2: not valid JSON")]
    [InlineData("[1, 2]", ":2: not a JSON object")]
    [InlineData("{\"task_id\": \"T/1\", \"prompt\": \"\", \"test\": \"\"}", ":2: the field \"entry_point\" is missing")]
    [InlineData("{\"task_id\": \"T/1\", \"prompt\": \"\", \"test\": \"\", \"entry_point\": \" \"}", ":2: \"entry_point\" of T/1 is empty")]
    [InlineData("{\"task_id\": \"T/0\", \"prompt\": \"\", \"test\": \"\", \"entry_point\": \"f\"}", ":2: task \"T/0\" appears twice")]
    public void BadProblemLinesNameFileAndLine(string line, string expected)
    {
        string path = Write("problems.jsonl", Problem, line);
        var error = Assert.Throws<InvalidDataException>(() => HumanEvalFiles.ReadProblems(path));
        Assert.Contains(path + expected, error.Message);
    }

    [Fact]
    public void BadSampleLinesNameFileAndLine()
    {
        var problems = HumanEvalFiles.ReadProblems(Write("problems.jsonl", Problem));
        var unknown = Assert.Throws<InvalidDataException>(() => HumanEvalFiles.ReadSamples(
            Write("a.jsonl", "{\"task_id\": \"T/0\", \"completion\": \"x\"}", "", "{\"task_id\": \"T/9\", \"completion\": \"x\"}"), problems));
        Assert.Contains("a.jsonl:3: a sample for task \"T/9\", which is not in the problems file", unknown.Message);
        var missing = Assert.Throws<InvalidDataException>(() => HumanEvalFiles.ReadSamples(Write("b.jsonl", "{\"task_id\": \"T/0\"}"), problems));
        Assert.Contains("b.jsonl:1: the field \"completion\" is missing", missing.Message);
        var malformed = Assert.Throws<InvalidDataException>(() => HumanEvalFiles.ReadSamples(Write("c.jsonl", "{\"task_id\": \"T/0\", \"completion\": 3}"), problems));
        Assert.Contains("c.jsonl:1: the field \"completion\" must be a string", malformed.Message);
    }

    [Fact]
    public void AppendedSamplesReadBackAndACutLastLineIsFinished()
    {
        var problems = HumanEvalFiles.ReadProblems(Write("problems.jsonl", Problem));
        string path = Path.Combine(_folder, "samples.jsonl");
        HumanEvalFiles.AppendSamples(path, [new("T/0", "    return a + b\n")]);
        File.AppendAllText(path, "{\"task_id\": \"T/0\", \"completion\": \"\"}"); // no newline, as a crash mid-write might leave it
        HumanEvalFiles.AppendSamples(path, [new("T/0", "\"quoted\"\n")]);
        var samples = HumanEvalFiles.ReadSamples(path, problems);
        Assert.Equal(["    return a + b\n", "", "\"quoted\"\n"], samples.Select(s => s.Completion));
    }

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}

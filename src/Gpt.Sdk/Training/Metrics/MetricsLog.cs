using System.Text;
using System.Text.Json;

namespace Gpt.Sdk.Training;

/// <summary>
/// A run's metrics as JSON lines, one object per step or iteration: <c>{"step": 12, "loss": 2.31, ...}</c>, the file
/// every trainer (language modelling, SFT, reward model, PPO, DPO) appends to in its output folder as
/// <see cref="FileName"/>, and <c>gpt plot</c> draws. Each row is written and flushed whole, so a crash loses at most the
/// row being written; a partial last line left by one is ignored by <see cref="Read"/>. Non-finite values are written as
/// JSON null (JSON has no NaN).
/// </summary>
public sealed class MetricsLog
{
    /// <summary>The file's name in a run's output folder.</summary>
    public const string FileName = "metrics.jsonl";

    /// <summary>The key of the step (or iteration) every row carries, the x axis of plots.</summary>
    public const string StepKey = "step";

    /// <summary>A log appending to <paramref name="path"/> (created with its folder on the first row).</summary>
    /// <param name="path">The JSONL file.</param>
    public MetricsLog(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The log of a run whose output folder is <paramref name="directory"/>.</summary>
    /// <param name="directory">The run's output folder.</param>
    public static MetricsLog InFolder(string directory) => new(System.IO.Path.Combine(directory, FileName));

    /// <summary>The JSONL file.</summary>
    public string Path { get; }

    /// <summary>Appends one row: the step, then the values in the order given.</summary>
    /// <param name="step">The step or iteration the values belong to.</param>
    /// <param name="values">Named values (snake_case names by convention, e.g. <c>loss</c>, <c>validation_loss</c>).</param>
    public void Append(int step, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber(StepKey, step);
            foreach (var (name, value) in values)
            {
                if (name == StepKey) throw new ArgumentException($"'{StepKey}' is the row's step; name the value something else.", nameof(values));
                if (double.IsFinite(value)) json.WriteNumber(name, value);
                else json.WriteNull(name);
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        file.Flush(flushToDisk: false);
    }

    /// <summary>Drops the rows of steps after <paramref name="step"/>: a run resumed from a checkpoint at that step calls
    /// this so that the steps it runs again are not logged twice. Rewrites the file atomically; no file is no-op.</summary>
    /// <param name="step">The last step to keep.</param>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(Path)) return;
        string[] lines = File.ReadAllLines(Path);
        var kept = lines.Where(line => ParseRow(line) is { } row && row.Step <= step).ToArray();
        if (kept.Length == lines.Length) return;
        IO.AtomicFile.Write(Path, stream =>
        {
            var bytes = Encoding.UTF8.GetBytes(string.Concat(kept.Select(line => line + "\n")));
            stream.Write(bytes);
        });
    }

    /// <summary>Reads the rows of a metrics file (lines that are not a JSON object with a step are skipped: a torn last line).</summary>
    /// <param name="path">The JSONL file.</param>
    /// <returns>The rows in file order; a value written as null reads as NaN.</returns>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyList<MetricsRow> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"there is no metrics file '{path}'; trainers write {FileName} in their output folder.", path);
        var rows = new List<MetricsRow>();
        foreach (string line in File.ReadLines(path))
            if (ParseRow(line) is { } row) rows.Add(row);
        return rows;
    }

    private static MetricsRow? ParseRow(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(StepKey, out var stepValue) || !stepValue.TryGetInt32(out int step))
                return null;
            var values = new Dictionary<string, double>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == StepKey) continue;
                if (property.Value.ValueKind == JsonValueKind.Number) values[property.Name] = property.Value.GetDouble();
                else if (property.Value.ValueKind == JsonValueKind.Null) values[property.Name] = double.NaN;
            }
            return new MetricsRow(step, values);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

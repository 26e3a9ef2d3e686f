using System.Globalization;
using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// A training checkpoint: the values and AdamW moments of every trainable segment (the base for a full
/// run; only the adapter, and any head, for a LoRA run), the step, optimizer step, data position,
/// skipped-step count and model config in ONE safetensors file, so that writing it to a temporary file
/// and renaming it over the old one makes saving all-or-nothing: a crash mid-save leaves the previous
/// checkpoint intact.
/// </summary>
public static class Checkpoint
{
    /// <summary>The checkpoint's file name inside a run folder.</summary>
    public const string FileName = "checkpoint.safetensors";

    private const string Format = "gpt-sdk-checkpoint/2";

    /// <summary>What a checkpoint holds besides the tensors.</summary>
    /// <param name="Config">The model's shape.</param>
    /// <param name="Step">Optimizer steps completed.</param>
    /// <param name="OptimizerStep">AdamW's bias-correction step count.</param>
    /// <param name="DataPosition">The training data's position.</param>
    /// <param name="SkippedSteps">Steps skipped for non-finite values.</param>
    /// <param name="Seed">The run's seed.</param>
    public sealed record State(GptConfig Config, int Step, int OptimizerStep, ulong DataPosition, int SkippedSteps, ulong Seed)
    {
        /// <summary>A trainer's own counters besides these (PPO's KL coefficient and pretraining-batch position, say), stored
        /// as text so a resumed run restores them exactly; empty by default.</summary>
        public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
    }

    private const string ExtraPrefix = "extra/";

    /// <summary>Writes a checkpoint of the segments <paramref name="optimizer"/> optimises and their moments.</summary>
    /// <param name="path">Target file; replaced atomically.</param>
    /// <param name="optimizer">The optimizer (its segments are what is trained).</param>
    /// <param name="state">Counters to store.</param>
    public static void Save(string path, AdamW optimizer, State state)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var tensors = new List<SafetensorsTensor>();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["config"] = JsonSerializer.Serialize(state.Config, CheckpointJson.Default.GptConfig),
            ["step"] = Invariant(state.Step),
            ["optimizer_step"] = Invariant(state.OptimizerStep),
            ["data_position"] = state.DataPosition.ToString(CultureInfo.InvariantCulture),
            ["skipped_steps"] = Invariant(state.SkippedSteps),
            ["seed"] = state.Seed.ToString(CultureInfo.InvariantCulture),
            ["segments"] = string.Join(',', optimizer.Segments.Select(s => s.Name)),
        };
        foreach (var (key, value) in state.Extra) metadata[ExtraPrefix + key] = value;
        foreach (var segment in optimizer.Segments)
        {
            int n = segment.Count;
            float[] Host(DeviceBuffer<float> buffer)
            {
                var host = new float[n];
                segment.Device.Download(new Slice<float>(buffer, 0, n), host);
                return host;
            }

            var (first, second) = optimizer.MomentsOf(segment);
            tensors.Add(new($"{segment.Name}/values", [n], Host(segment.Values)));
            tensors.Add(new($"{segment.Name}/exp_avg", [n], Host(first)));
            tensors.Add(new($"{segment.Name}/exp_avg_sq", [n], Host(second)));
            metadata[$"parameter_names/{segment.Name}"] = ParameterNames(segment);
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Reads only the counters and config of a checkpoint (to rebuild its model first).</summary>
    /// <param name="path">The checkpoint file.</param>
    public static State ReadState(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return ParseState(file);
    }

    /// <summary>Restores the values and moments of the segments <paramref name="optimizer"/> optimises; the checkpoint must
    /// hold exactly those segments, with the same parameters, for a model of <paramref name="config"/>'s shape.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="config">The shape of the model being trained.</param>
    /// <param name="optimizer">The optimizer.</param>
    public static State Load(string path, GptConfig config, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var file = SafetensorsFile.Open(path);
        var state = ParseState(file);
        if (state.Config != config)
            throw new ModelFileException(path, $"the checkpoint was made for a different model shape ({Describe(state.Config)}) than this one ({Describe(config)}).");
        string segments = string.Join(',', optimizer.Segments.Select(s => s.Name));
        if (file.Metadata.GetValueOrDefault("segments") != segments)
            throw new ModelFileException(path,
                $"the checkpoint trains the segments [{file.Metadata.GetValueOrDefault("segments")}] but this run trains [{segments}]; resume with the same base, adapter and heads, or use a new folder.");
        foreach (var segment in optimizer.Segments)
        {
            if (file.Metadata.GetValueOrDefault($"parameter_names/{segment.Name}") != ParameterNames(segment))
                throw new ModelFileException(path, $"the checkpoint's parameter list of '{segment.Name}' does not match this run's (another adapter rank or targets?).");
            var host = new float[segment.Count];
            void Restore(string name, DeviceBuffer<float> target)
            {
                file.ReadFloat32($"{segment.Name}/{name}", host);
                segment.Device.Upload<float>(host, new Slice<float>(target, 0, segment.Count));
            }

            var (first, second) = optimizer.MomentsOf(segment);
            Restore("values", segment.Values);
            Restore("exp_avg", first);
            Restore("exp_avg_sq", second);
        }

        optimizer.StepCount = state.OptimizerStep;
        return state;
    }

    private static string ParameterNames(ParameterSegment segment) => string.Join(',', segment.Items.Select(p => p.Name));

    private static State ParseState(SafetensorsFile file)
    {
        var meta = file.Metadata;
        if (meta.GetValueOrDefault("format") != Format)
            throw new ModelFileException(file.Path, meta.GetValueOrDefault("format") == "gpt-sdk-checkpoint/1"
                ? "the checkpoint was written by an earlier Gpt.Sdk (format 1); continue from its saved model folder instead of resuming."
                : $"not a Gpt.Sdk checkpoint (expected metadata format '{Format}').");
        string Get(string key) => meta.TryGetValue(key, out var v)
            ? v
            : throw new ModelFileException(file.Path, $"checkpoint metadata lacks '{key}'.");
        try
        {
            var config = JsonSerializer.Deserialize(Get("config"), CheckpointJson.Default.GptConfig)
                ?? throw new ModelFileException(file.Path, "checkpoint config is null.");
            return new State(config.Validate(), int.Parse(Get("step"), CultureInfo.InvariantCulture),
                int.Parse(Get("optimizer_step"), CultureInfo.InvariantCulture), ulong.Parse(Get("data_position"), CultureInfo.InvariantCulture),
                int.Parse(Get("skipped_steps"), CultureInfo.InvariantCulture), ulong.Parse(Get("seed"), CultureInfo.InvariantCulture))
            {
                Extra = meta.Where(m => m.Key.StartsWith(ExtraPrefix, StringComparison.Ordinal))
                    .ToDictionary(m => m.Key[ExtraPrefix.Length..], m => m.Value, StringComparer.Ordinal),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or JsonException or ArgumentException)
        {
            throw new ModelFileException(file.Path, $"checkpoint metadata is corrupt: {e.Message}", innerException: e);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Describe(GptConfig c) =>
        $"vocab {c.VocabularySize}, context {c.ContextLength}, {c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}";
}

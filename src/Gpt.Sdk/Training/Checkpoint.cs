using System.Globalization;
using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// A training checkpoint: weights, AdamW moments, step, optimizer step, data position, skipped-step
/// count and model config in ONE safetensors file, so that the temp-file-and-rename of
/// <see cref="AtomicFile"/> makes saving all-or-nothing: a crash mid-save leaves the previous
/// checkpoint intact.
/// </summary>
public static class Checkpoint
{
    /// <summary>The checkpoint's file name inside a run folder.</summary>
    public const string FileName = "checkpoint.safetensors";

    private const string Format = "gpt-sdk-checkpoint/1";

    /// <summary>What a checkpoint holds besides the tensors.</summary>
    /// <param name="Config">The model's shape.</param>
    /// <param name="Step">Optimizer steps completed.</param>
    /// <param name="OptimizerStep">AdamW's bias-correction step count.</param>
    /// <param name="DataPosition">The training sampler's position.</param>
    /// <param name="SkippedSteps">Steps skipped for non-finite values.</param>
    /// <param name="Seed">The run's seed.</param>
    public sealed record State(GptConfig Config, int Step, int OptimizerStep, ulong DataPosition, int SkippedSteps, ulong Seed);

    /// <summary>Writes a checkpoint of <paramref name="model"/> and <paramref name="optimizer"/>.</summary>
    /// <param name="path">Target file; replaced atomically.</param>
    /// <param name="model">The model.</param>
    /// <param name="optimizer">Its optimizer.</param>
    /// <param name="state">Counters to store.</param>
    public static void Save(string path, GptModel model, AdamW optimizer, State state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var parameters = model.Parameters;
        int n = parameters.Count;
        float[] Host(DeviceBuffer<float> buffer)
        {
            var host = new float[n];
            parameters.Device.Download(new Slice<float>(buffer, 0, n), host);
            return host;
        }

        var tensors = new SafetensorsTensor[]
        {
            new("parameters", [n], Host(parameters.Values)),
            new("exp_avg", [n], Host(optimizer.FirstMoment)),
            new("exp_avg_sq", [n], Host(optimizer.SecondMoment)),
        };
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["config"] = JsonSerializer.Serialize(state.Config, CheckpointJson.Default.GptConfig),
            ["step"] = Invariant(state.Step),
            ["optimizer_step"] = Invariant(state.OptimizerStep),
            ["data_position"] = state.DataPosition.ToString(CultureInfo.InvariantCulture),
            ["skipped_steps"] = Invariant(state.SkippedSteps),
            ["seed"] = state.Seed.ToString(CultureInfo.InvariantCulture),
            ["parameter_names"] = string.Join(',', parameters.Items.Select(p => p.Name)),
        };
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

    /// <summary>Restores weights and moments into a model built from <see cref="ReadState"/>'s config.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the same shape.</param>
    /// <param name="optimizer">Its optimizer.</param>
    public static State Load(string path, GptModel model, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var file = SafetensorsFile.Open(path);
        var state = ParseState(file);
        if (state.Config != model.Config)
            throw new ModelFileException(path, $"the checkpoint was made for a different model shape ({Describe(state.Config)}) than this one ({Describe(model.Config)}).");
        string names = string.Join(',', model.Parameters.Items.Select(p => p.Name));
        if (file.Metadata.GetValueOrDefault("parameter_names") != names)
            throw new ModelFileException(path, "the checkpoint's parameter list does not match this model's.");

        var parameters = model.Parameters;
        var host = new float[parameters.Count];
        void Restore(string name, DeviceBuffer<float> target)
        {
            file.ReadFloat32(name, host);
            parameters.Device.Upload<float>(host, new Slice<float>(target, 0, parameters.Count));
        }

        Restore("parameters", parameters.Values);
        Restore("exp_avg", optimizer.FirstMoment);
        Restore("exp_avg_sq", optimizer.SecondMoment);
        optimizer.StepCount = state.OptimizerStep;
        return state;
    }

    private static State ParseState(SafetensorsFile file)
    {
        var meta = file.Metadata;
        if (meta.GetValueOrDefault("format") != Format)
            throw new ModelFileException(file.Path, $"not a Gpt.Sdk checkpoint (expected metadata format '{Format}').");
        string Get(string key) => meta.TryGetValue(key, out var v)
            ? v
            : throw new ModelFileException(file.Path, $"checkpoint metadata lacks '{key}'.");
        try
        {
            var config = JsonSerializer.Deserialize(Get("config"), CheckpointJson.Default.GptConfig)
                ?? throw new ModelFileException(file.Path, "checkpoint config is null.");
            return new State(config.Validate(), int.Parse(Get("step"), CultureInfo.InvariantCulture),
                int.Parse(Get("optimizer_step"), CultureInfo.InvariantCulture), ulong.Parse(Get("data_position"), CultureInfo.InvariantCulture),
                int.Parse(Get("skipped_steps"), CultureInfo.InvariantCulture), ulong.Parse(Get("seed"), CultureInfo.InvariantCulture));
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

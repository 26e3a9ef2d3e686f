using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.IO;

namespace Gpt.Sdk.Nn.Lora;

/// <summary>
/// A LoRA adapter in Hugging Face PEFT's folder layout, so adapters move both ways between this SDK and PEFT:
/// <c>adapter_config.json</c> (<c>peft_type</c> LORA, <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>,
/// <c>target_modules</c>, <c>use_rslora</c>, <c>fan_in_fan_out: true</c> for GPT-2's Conv1D) and
/// <c>adapter_model.safetensors</c> with keys <c>base_model.model.transformer.h.N.&lt;module&gt;.lora_A.weight</c> (r, in)
/// and <c>.lora_B.weight</c> (out, r).
/// </summary>
public static class PeftAdapterFiles
{
    /// <summary>The adapter's configuration file.</summary>
    public const string ConfigFileName = "adapter_config.json";

    /// <summary>The adapter's weights file.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    private const string KeyPrefix = "base_model.model.transformer.";

    /// <summary>True when <paramref name="directory"/> holds a PEFT adapter (its config file).</summary>
    /// <param name="directory">A folder.</param>
    public static bool IsAdapterFolder(string directory) => File.Exists(Path.Combine(directory, ConfigFileName));

    /// <summary>Reads an adapter folder's configuration.</summary>
    /// <param name="directory">The adapter folder.</param>
    /// <exception cref="ModelFileException">The file is not a LoRA configuration this SDK can apply; the message says which key.</exception>
    public static LoraConfig ReadConfig(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{directory}' is not a PEFT adapter folder: it has no {ConfigFileName} (an adapter folder holds {ConfigFileName} and {WeightsFileName}).", path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"'{path}' is not valid JSON: {ModelFileException.DescribeJsonError(e)}.", innerException: e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFileException(path, $"'{path}' must hold a JSON object.");
            string peftType = String(root, "peft_type") ?? "";
            if (peftType != "LORA")
                throw new ModelFileException(path, $"'{path}' describes a PEFT adapter of type '{peftType}'; only LORA adapters are supported.", "peft_type");
            Refuse(root, path, "use_dora", v => v.ValueKind == JsonValueKind.True, "DoRA adapters are not supported");
            Refuse(root, path, "bias", v => v.ValueKind == JsonValueKind.String && v.GetString() != "none", "adapters that train biases are not supported (bias must be \"none\")");
            Refuse(root, path, "modules_to_save", v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0, "adapters with modules_to_save are not supported");
            Refuse(root, path, "rank_pattern", v => v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any(), "per-module ranks (rank_pattern) are not supported");
            Refuse(root, path, "alpha_pattern", v => v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any(), "per-module alphas (alpha_pattern) are not supported");
            Refuse(root, path, "layers_to_transform", v => v.ValueKind != JsonValueKind.Null, "layers_to_transform is not supported");
            var config = new LoraConfig
            {
                Rank = Int(root, path, "r"),
                Alpha = (float)Number(root, path, "lora_alpha", 8),
                Dropout = (float)Number(root, path, "lora_dropout", 0),
                UseRsLora = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True,
                TargetModules = Targets(root, path),
            };
            try
            {
                return config.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ModelFileException(path, $"'{path}': {e.Message}", innerException: e);
            }
        }
    }

    /// <summary>
    /// Loads a PEFT LoRA adapter onto <paramref name="model"/> (the shared base is not copied) and registers it under
    /// <paramref name="name"/>. An adapter made for another base shape, targets that match no layer, or a missing or
    /// extra tensor is refused, and nothing is registered.
    /// </summary>
    /// <param name="model">The base model.</param>
    /// <param name="directory">The adapter folder.</param>
    /// <param name="name">The name to register it under (the folder's name when null).</param>
    /// <param name="trainable">True to keep training it: its segment gets gradients and, as PEFT's <c>is_trainable</c> and
    /// <see cref="GptModel.AddLoraAdapter"/> do, the base is frozen, so training updates the adapter only. False for
    /// inference (the base is left as it is).</param>
    public static LoraAdapter Load(GptModel model, string directory, string? name = null, bool trainable = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = ReadConfig(directory);
        name ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        // Checked again when registering (another thread may load the same name meanwhile); here it saves reading the weights.
        if (model.Adapters.ContainsKey(name))
            throw new ArgumentException($"an adapter named '{name}' is already loaded; remove it first or choose another name.", nameof(name));
        string weights = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weights))
            throw new FileNotFoundException($"adapter folder '{directory}' has no {WeightsFileName}; only safetensors adapters are supported.", weights);
        LoraAdapter adapter;
        try
        {
            adapter = new LoraAdapter(model, name, config);
        }
        catch (ArgumentException e)
        {
            string configPath = Path.Combine(directory, ConfigFileName);
            throw new ModelFileException(configPath, $"'{configPath}': the adapter does not fit this model: {e.Message}", "target_modules", e);
        }

        try
        {
            using var file = SafetensorsFile.Open(weights);
            var expected = adapter.Parameters.Items.Select(p => KeyPrefix + p.Name).ToHashSet(StringComparer.Ordinal);
            var extra = file.Tensors.Select(t => t.Name).Where(k => !expected.Contains(k)).ToList();
            if (extra.Count > 0)
                throw new ModelFileException(weights,
                    $"'{weights}': the adapter holds tensors this model has no layer for ({string.Join(", ", extra.Take(3))}{(extra.Count > 3 ? ", …" : "")}); was it trained on another base?", extra[0]);
            SegmentFiles.Read(file, adapter.Parameters, p => KeyPrefix + p.Name,
                $"a LoRA adapter of rank {config.Rank} for this base ({model.Config.LayerCount} layers, width {model.Config.EmbeddingSize})",
                "Was the adapter trained on another base model? Load it onto the model it was trained on.");
            adapter.Parameters.Trainable = trainable;
            model.Register(adapter);
            if (trainable) model.Parameters.Trainable = false;
            return adapter;
        }
        catch
        {
            if (!model.Adapters.TryGetValue(name, out var registered) || registered != adapter) adapter.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="adapter"/> as a PEFT adapter folder (each file replaced atomically) that PEFT's
    /// <c>PeftModel.from_pretrained</c> loads onto a GPT-2 of the same shape.</summary>
    /// <param name="adapter">The adapter.</param>
    /// <param name="directory">The folder (created if needed).</param>
    /// <param name="baseModelPath">Recorded as <c>base_model_name_or_path</c>.</param>
    public static void Save(LoraAdapter adapter, string directory, string? baseModelPath = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var tensors = SegmentFiles.Tensors(adapter.Parameters, p => KeyPrefix + p.Name);
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        WriteConfig(Path.Combine(directory, ConfigFileName), adapter.Config, baseModelPath);
    }

    // Keys sorted, as PEFT's save_pretrained writes them.
    private static void WriteConfig(string path, LoraConfig config, string? baseModelPath) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("alpha_pattern");
        json.WriteEndObject();
        if (baseModelPath is null) json.WriteNull("base_model_name_or_path");
        else json.WriteString("base_model_name_or_path", baseModelPath);
        json.WriteString("bias", "none");
        json.WriteBoolean("fan_in_fan_out", true);
        json.WriteBoolean("inference_mode", true);
        json.WriteBoolean("init_lora_weights", true);
        json.WriteNull("layers_pattern");
        json.WriteNull("layers_to_transform");
        json.WriteNumber("lora_alpha", config.Alpha);
        json.WriteNumber("lora_dropout", config.Dropout);
        json.WriteNull("modules_to_save");
        json.WriteString("peft_type", "LORA");
        json.WriteNumber("r", config.Rank);
        json.WriteStartObject("rank_pattern");
        json.WriteEndObject();
        if (config.TargetModules is [LoraConfig.AllLinear]) json.WriteString("target_modules", LoraConfig.AllLinear);
        else
        {
            json.WriteStartArray("target_modules");
            foreach (string t in config.TargetModules) json.WriteStringValue(t);
            json.WriteEndArray();
        }

        json.WriteString("task_type", "CAUSAL_LM");
        json.WriteBoolean("use_dora", false);
        json.WriteBoolean("use_rslora", config.UseRsLora);
        json.WriteEndObject();
    });

    private static IReadOnlyList<string> Targets(JsonElement root, string path)
    {
        if (!root.TryGetProperty("target_modules", out var value) || value.ValueKind == JsonValueKind.Null)
            throw new ModelFileException(path, $"'{path}' has no target_modules; PEFT's defaults for GPT-2 are [\"c_attn\"].", "target_modules");
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString() == LoraConfig.AllLinear
                ? [LoraConfig.AllLinear]
                : throw new ModelFileException(path, $"'{path}': target_modules is the pattern \"{value.GetString()}\"; give a list of module names (regular expressions are not supported).", "target_modules");
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new ModelFileException(path, $"'{path}': target_modules must be a list of module names.", "target_modules");
        return value.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static void Refuse(JsonElement root, string path, string key, Func<JsonElement, bool> unsupported, string why)
    {
        if (root.TryGetProperty(key, out var value) && unsupported(value))
            throw new ModelFileException(path, $"'{path}': {why} ({key} is {value.GetRawText()}).", key);
    }

    private static string? String(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement root, string path, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)
            ? i
            : throw new ModelFileException(path, $"'{path}': {key} must be a whole number.", key);

    private static double Number(JsonElement root, string path, string key, double fallback)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new ModelFileException(path, $"'{path}': {key} must be a number, got {v.GetRawText().ToString(CultureInfo.InvariantCulture)}.", key);
    }
}

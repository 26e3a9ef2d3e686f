using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.IO;

/// <summary>
/// Maps a <see cref="GptModel"/> onto a Hugging Face GPT-2 folder (<c>config.json</c> +
/// <c>model.safetensors</c>) and back. Keys match one-to-one, with or without the
/// <c>transformer.</c> prefix; GPT-2's <c>Conv1D</c> layers store weights (in, out) where the SDK
/// keeps <c>nn.Linear</c>'s (out, in), so those are transposed in both directions; the causal-mask
/// buffers <c>attn.bias</c>/<c>attn.masked_bias</c> are skipped, and <c>lm_head.weight</c> is the
/// token embedding (tied), so it is neither read nor written.
/// </summary>
public static class Gpt2Weights
{
    /// <summary>Name of the weights file in a model folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    private const string Prefix = "transformer.";

    /// <summary>Loads a model from a Hugging Face GPT-2 folder.</summary>
    /// <param name="directory">Folder holding config.json and model.safetensors.</param>
    /// <param name="device">Where the weights go (the CPU when null).</param>
    public static GptModel Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"model folder '{directory}' does not exist; pass a folder holding config.json and {WeightsFileName}.");
        string weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFileName}; only safetensors weights are supported.", weightsPath);
        var config = HuggingFaceConfig.Read(Path.Combine(directory, HuggingFaceConfig.FileName));
        var model = new GptModel(config, device);
        try
        {
            using var file = SafetensorsFile.Open(weightsPath);
            LoadWeights(file, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies every parameter of <paramref name="model"/> from an open GPT-2 safetensors file.</summary>
    /// <param name="file">A file in Hugging Face GPT-2 layout.</param>
    /// <param name="model">A model of the file's shape.</param>
    public static void LoadWeights(SafetensorsFile file, GptModel model)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        bool prefixed = !file.Contains("wte.weight") && file.Contains(Prefix + "wte.weight");
        var host = new float[model.Parameters.Count];
        foreach (var p in model.Parameters.Items)
        {
            string key = prefixed ? Prefix + p.Name : p.Name;
            if (!file.TryGet(key, out var info))
                throw new ModelFileException(file.Path, $"tensor '{key}' is missing; the file does not hold a complete GPT-2 of this config.", key);
            var target = host.AsSpan((int)p.Offset, p.Value.Length);
            if (IsConv1D(p))
            {
                int outFeatures = p.Shape[0], inFeatures = p.Shape[1];
                if (!info.HasShape(inFeatures, outFeatures))
                    throw new ModelFileException(file.Path, $"tensor '{key}' has shape {info.ShapeText}; config.json implies [{inFeatures}, {outFeatures}].", key);
                var stored = new float[target.Length];                           // (in, out)
                file.ReadFloat32(key, stored);
                Transpose(stored, target, inFeatures, outFeatures);              // → (out, in)
            }
            else
            {
                if (!info.HasShape(Dims(p)))
                    throw new ModelFileException(file.Path, $"tensor '{key}' has shape {info.ShapeText}; config.json implies {p.Shape}.", key);
                file.ReadFloat32(key, target);
            }
        }

        model.Parameters.CopyValuesFrom(host);
    }

    /// <summary>Writes <paramref name="model"/> as a Hugging Face GPT-2 folder that
    /// <c>GPT2LMHeadModel.from_pretrained</c> loads; each file is replaced atomically.</summary>
    /// <param name="model">The model.</param>
    /// <param name="directory">Target folder (created if needed).</param>
    public static void Save(GptModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var host = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(host);
        var tensors = new List<SafetensorsTensor>(model.Parameters.Items.Count);
        foreach (var p in model.Parameters.Items)
        {
            var values = host.AsMemory((int)p.Offset, p.Value.Length);
            if (IsConv1D(p))
            {
                int outFeatures = p.Shape[0], inFeatures = p.Shape[1];
                var stored = new float[values.Length];
                Transpose(values.Span, stored, outFeatures, inFeatures);         // (out, in) → (in, out)
                tensors.Add(new SafetensorsTensor(Prefix + p.Name, [inFeatures, outFeatures], stored));
            }
            else
            {
                tensors.Add(new SafetensorsTensor(Prefix + p.Name, Dims(p), values));
            }
        }

        // transformers refuses safetensors files whose metadata lacks a framework "format".
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        HuggingFaceConfig.Write(Path.Combine(directory, HuggingFaceConfig.FileName), model.Config);
    }

    private static bool IsConv1D(Parameter p) => p.Shape.Rank == 2 && p.Name.StartsWith("h.", StringComparison.Ordinal);

    private static int[] Dims(Parameter p)
    {
        var dims = new int[p.Shape.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = p.Shape[i];
        return dims;
    }

    // destination (cols, rows) = sourceᵀ of source (rows, cols)
    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                destination[c * rows + r] = source[r * cols + c];
    }
}

using Gpt.Sdk.IO;

namespace Gpt.Sdk.Nn;

/// <summary>
/// A <see cref="GptModel"/> as a Hugging Face GPT-2 folder (<c>config.json</c> + <c>model.safetensors</c>).
/// Keys match one-to-one, with or without the <c>transformer.</c> prefix; Conv1D weights are transposed as
/// each parameter declares; the causal-mask buffers <c>attn.bias</c>/<c>attn.masked_bias</c> are ignored, and
/// <c>lm_head.weight</c> is the token embedding (tied), so it is neither read nor written.
/// </summary>
internal static class GptModelFiles
{
    /// <summary>Name of the weights file in a model folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    private const string Prefix = "transformer.";

    public static GptConfig ReadConfig(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"model folder '{directory}' does not exist; pass a folder holding {HuggingFaceConfig.FileName} and {WeightsFileName}.");
        string weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFileName}; only safetensors weights are supported.", weightsPath);
        return HuggingFaceConfig.Read(Path.Combine(directory, HuggingFaceConfig.FileName));
    }

    public static void LoadWeights(string directory, GptModel model)
    {
        using var file = SafetensorsFile.Open(Path.Combine(directory, WeightsFileName));
        LoadWeights(file, model);
    }

    public static void LoadWeights(SafetensorsFile file, GptModel model)
    {
        bool prefixed = !file.Contains("wte.weight") && file.Contains(Prefix + "wte.weight");
        SegmentFiles.Read(file, model.Parameters, p => prefixed ? Prefix + p.Name : p.Name, "a complete GPT-2 of this config");
    }

    public static void Save(GptModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var tensors = SegmentFiles.Tensors(model.Parameters, p => Prefix + p.Name);
        // transformers refuses safetensors files whose metadata lacks a framework "format".
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        HuggingFaceConfig.Write(Path.Combine(directory, HuggingFaceConfig.FileName), model.Config);
    }
}

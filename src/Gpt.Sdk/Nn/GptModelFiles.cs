using Gpt.Sdk.IO;
using Gpt.Sdk.Tokenization;

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

    // Training.Checkpoint.FileName, which this layer cannot see (Training builds on Nn); a test keeps the two equal.
    internal const string CheckpointFileName = "checkpoint.safetensors";

    public static GptConfig ReadConfig(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"model folder '{directory}' does not exist; pass a folder holding {HuggingFaceConfig.FileName} and {WeightsFileName}.");
        string weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException(MissingWeights(directory), weightsPath);
        return HuggingFaceConfig.Read(Path.Combine(directory, HuggingFaceConfig.FileName));
    }

    /// <summary>What an existing folder lacks of the weights half of a model (<c>config.json</c>, <c>model.safetensors</c>),
    /// one message per missing file; empty when both are there.</summary>
    public static IEnumerable<string> Missing(string directory)
    {
        if (!File.Exists(Path.Combine(directory, HuggingFaceConfig.FileName)))
            yield return $"no {HuggingFaceConfig.FileName} in '{directory}': a model folder holds its shape there, beside {WeightsFileName}. " +
                "Save the model with GptModel.Save(folder, tokenizer), which writes both.";
        if (!File.Exists(Path.Combine(directory, WeightsFileName))) yield return MissingWeights(directory);
    }

    // Says what the folder holds instead, when that explains the gap: a checkpoint is what a training run leaves in its
    // folder before (or without) saving the model, which is the easiest mistake to make.
    private static string MissingWeights(string directory)
    {
        string message = $"no {WeightsFileName} in '{directory}': it is the only weights file read (safetensors). ";
        if (File.Exists(Path.Combine(directory, CheckpointFileName)))
            return message + $"The folder holds a training checkpoint ({CheckpointFileName}), a run's state to resume, not a model: save the trained " +
                "model into it with GptModel.Save(folder, tokenizer) (gpt train and FineTune.SaveTo do at the end of a run and on cancellation).";
        if (File.Exists(Path.Combine(directory, "pytorch_model.bin")))
            return message + "The folder holds pytorch_model.bin: convert it (transformers: model.save_pretrained(folder, safe_serialization=True)).";
        return message + "Save a model there with GptModel.Save(folder, tokenizer).";
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

    /// <summary>Writes the whole folder: weights, config and tokenizer, the tokenizer checked first so a refused one leaves the folder as it was.</summary>
    public static void Save(GptModel model, string directory, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckSavable(model);
        TokenizerFiles.EnsureSavable(tokenizer, nameof(tokenizer));
        if (tokenizer.VocabularySize > model.Config.VocabularySize)
            throw new ArgumentException(
                $"the tokenizer has {tokenizer.VocabularySize} tokens but the model's vocabulary is {model.Config.VocabularySize}, so some of its ids " +
                "have no embedding: this is not the model's tokenizer. Save the model with the tokenizer it was built for.", nameof(tokenizer));
        Save(model, directory);
        TokenizerFiles.Save(tokenizer, directory);
    }

    // int8 is quantized on load from an fp32 (or bf16) file, in a second; a file of its own would be a format no other tool
    // reads, and GGUF q8_0 (gpt export gguf) is the one they do.
    private static void CheckSavable(GptModel model)
    {
        if (model.WeightStorage == WeightStorage.Int8)
            throw new NotSupportedException("an int8 model is not saved as safetensors: save the fp32 (or bf16) model it was loaded from and load that " +
                "with WeightStorage.Int8, which quantizes it in a second, or export it to GGUF q8_0 for llama.cpp.");
    }

    public static void Save(GptModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckSavable(model);
        Directory.CreateDirectory(directory);
        var tensors = SegmentFiles.Tensors(model.Parameters, p => Prefix + p.Name);
        // A bf16 model is written as what it is: every value is a bf16 number, so the BF16 file holds it exactly.
        var dtype = model.WeightStorage == WeightStorage.BFloat16 ? SafetensorsDType.BF16 : SafetensorsDType.F32;
        // transformers refuses safetensors files whose metadata lacks a framework "format".
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" }, dtype);
        HuggingFaceConfig.Write(Path.Combine(directory, HuggingFaceConfig.FileName), model.Config,
            dtype == SafetensorsDType.BF16 ? "bfloat16" : "float32");
    }
}

using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;

namespace Gpt.Benchmarks.Llama;

/// <summary>
/// How the SDK side loads the benchmark's model folder for each weight storage, and which storage each GGUF type is
/// compared with: each SDK weight storage (<see cref="WeightStorage"/>) beside the GGUF type of the same size.
/// </summary>
internal static class SdkWeightLoaders
{
    /// <summary>Loaders by SDK weight storage: each opens a model folder (config.json + model.safetensors) on the CPU.</summary>
    public static IReadOnlyDictionary<string, Func<string, GptModel>> ByStorage { get; } = new Dictionary<string, Func<string, GptModel>>
    {
        ["fp32"] = folder => GptModel.FromPretrained(folder),
        ["bf16"] = folder => GptModel.FromPretrained(folder, weights: WeightStorage.BFloat16),
        ["int8"] = folder => GptModel.FromPretrained(folder, weights: WeightStorage.Int8),
    };

    /// <summary>The SDK storage each GGUF type is compared with: the same type, or for F16 the SDK's other 16-bit float (bf16).</summary>
    public static IReadOnlyDictionary<GgufType, string> PeerOf { get; } = new Dictionary<GgufType, string>
    {
        [GgufType.F32] = "fp32",
        [GgufType.F16] = "bf16",
        [GgufType.Q8_0] = "int8",
    };
}

using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// What <c>services.AddGpt(...)</c> serves: which model, on which device, under which name, and the
/// generation options every request starts from. Bindable from configuration, e.g.
/// <code>
/// "Gpt": { "ModelPath": "models/gpt2", "Device": "Cpu", "Defaults": { "Temperature": 0.7, "MaxTokens": 200 } }
/// </code>
/// Checked when first resolved (or at host start): a missing folder, an unknown device or invalid
/// defaults stop the app with a message that names the setting.
/// </summary>
public sealed class GptOptions
{
    /// <summary>The model folder: a Hugging Face GPT-2 folder (<c>config.json</c> + <c>model.safetensors</c>) with its
    /// tokenizer beside it (<c>chars.json</c>, <c>tokenizer.json</c>, <c>vocab.json</c> + <c>merges.txt</c>, ...).
    /// Required unless a loaded model is given with <see cref="GptBuilder.UseModel"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Where the weights live and run (default <see cref="DeviceKind.Auto"/>); an absent device is an error, never a silent fallback.</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>How the model's large matrices are held (default <see cref="WeightStorage.Float32"/>): bf16 or int8 decode faster
    /// and take less memory, on the CPU (see <see cref="GptModel.ConvertWeights"/>). Applies to the model loaded from
    /// <see cref="ModelPath"/>; a model given with <see cref="GptBuilder.UseModel"/> is served as it is.</summary>
    public WeightStorage Weights { get; set; } = WeightStorage.Float32;

    /// <summary>The model's name in <see cref="Microsoft.Extensions.AI.ChatClientMetadata"/> and in responses;
    /// by default the model folder's name. In a request's <c>ChatOptions.ModelId</c> it selects the base model, an
    /// adapter's name selects that adapter (<see cref="GptBuilder.WithLoraAdapter(string, Func{Nn.GptModel, Nn.Lora.LoraAdapter})"/>), and any other id is refused.</summary>
    public string? ModelId { get; set; }

    /// <summary>Options every request starts from; a request's <c>ChatOptions</c> override them field by field.
    /// One completion per request (<see cref="GenerationOptions.N"/> = 1, no best-of, no logprobs, no prompt cache).
    /// <see cref="GenerationOptions.Adapter"/> sets the adapter of requests that choose none.</summary>
    public GenerationOptions Defaults { get; set; } = new();

    /// <summary>How concurrent requests share the model (<see cref="BatchingOptions"/>): continuous batching on by default, the
    /// most completions decoded together, the most requests queued, and whether a request past the queue is refused or waits.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>The embedding head folder the <c>IEmbeddingGenerator</c> uses (<see cref="GptBuilder.WithEmbeddingHead"/>); when null the
    /// generator embeds with mean pooling of the model's hidden states (untrained for retrieval: train a head for that).</summary>
    public string? EmbeddingHeadPath { get; set; }

    /// <summary>A model loaded by the caller (<see cref="GptBuilder.UseModel"/>), used instead of <see cref="ModelPath"/>; not disposed.</summary>
    internal (GptModel Model, ITokenizer Tokenizer)? LoadedModel { get; set; }

    /// <summary>The LoRA adapters to load onto the model once it is loaded (<see cref="GptBuilder.WithLoraAdapter(string, Func{Nn.GptModel, Nn.Lora.LoraAdapter})"/>), in
    /// registration order, one per name. Not bindable: a loader is code.</summary>
    internal List<(string Name, Func<GptModel, LoraAdapter> Load)> LoraAdapters { get; } = [];
}

using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// Configures one model registration of <c>services.AddGpt(gpt => ...)</c>. Each call adds to
/// <see cref="GptOptions"/> in order, so a later call overrides an earlier one (bind configuration first,
/// then pin what code must decide):
/// <code>
/// services.AddGpt(gpt => gpt
///     .BindConfiguration(configuration.GetSection("Gpt"))
///     .FromPretrained("models/gpt2")
///     .UseDevice(DeviceKind.Cpu)
///     .WithDefaults(o => o with { Temperature = 0.7f, MaxTokens = 200 }))
///     .UseLogging();   // AddGpt returns the chat pipeline's ChatClientBuilder: Microsoft.Extensions.AI middleware chains here
/// </code>
/// </summary>
public sealed class GptBuilder
{
    private readonly string _optionsName;

    internal GptBuilder(IServiceCollection services, object? serviceKey, string optionsName)
    {
        Services = services;
        ServiceKey = serviceKey;
        _optionsName = optionsName;
    }

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The key the services are registered under (<c>AddKeyedGpt</c>), or null.</summary>
    public object? ServiceKey { get; }

    /// <summary>Serves the model in a folder (<see cref="GptOptions.ModelPath"/>); the folder is checked when the
    /// options are first resolved (a missing part is named, with every file that would have served), and the weights
    /// are loaded once, when the first service needs them.</summary>
    /// <param name="modelPath">A model folder as <c>GptModel.Save(folder, tokenizer)</c>, <c>gpt train</c> and
    /// <c>FineTune.SaveTo</c> write it, or a Hugging Face GPT-2 folder with its tokenizer files.</param>
    public GptBuilder FromPretrained(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return Configure(o => o.ModelPath = modelPath);
    }

    /// <summary>Serves embeddings with the head of <paramref name="directory"/> (a folder <c>Embedder.Save</c>, <c>ContrastiveTraining</c>
    /// or <c>gpt embed train</c> wrote for this model): <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> then uses it
    /// instead of mean pooling. The head is loaded with the model.</summary>
    /// <param name="directory">The head folder.</param>
    public GptBuilder WithEmbeddingHead(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return Configure(o => o.EmbeddingHeadPath = directory);
    }

    /// <summary>Puts the weights on a device (<see cref="GptOptions.Device"/>).</summary>
    /// <param name="device">The device; <see cref="DeviceKind.Auto"/> picks the best present.</param>
    public GptBuilder UseDevice(DeviceKind device)
    {
        if (!Enum.IsDefined(device))
            throw new ArgumentOutOfRangeException(nameof(device), device, $"not a device kind; use one of {string.Join(", ", Enum.GetNames<DeviceKind>())}.");
        return Configure(o => o.Device = device);
    }

    /// <summary>Holds the model's large matrices as bf16 or int8 for faster, smaller inference on the CPU (<see cref="GptOptions.Weights"/>).</summary>
    /// <param name="weights">The storage; <see cref="WeightStorage.Float32"/> is the default.</param>
    public GptBuilder UseWeights(WeightStorage weights)
    {
        if (!Enum.IsDefined(weights))
            throw new ArgumentOutOfRangeException(nameof(weights), weights, $"not a weight storage; use one of {string.Join(", ", Enum.GetNames<WeightStorage>())}.");
        return Configure(o => o.Weights = weights);
    }

    /// <summary>Names the model in metadata and responses (<see cref="GptOptions.ModelId"/>).</summary>
    /// <param name="modelId">The name.</param>
    public GptBuilder WithModelId(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        return Configure(o => o.ModelId = modelId);
    }

    /// <summary>Sets the options every request starts from (<see cref="GptOptions.Defaults"/>), e.g.
    /// <c>o => o with { Temperature = 0.7f, TopP = 0.9f }</c>.</summary>
    /// <param name="configure">Maps the current defaults to new ones.</param>
    public GptBuilder WithDefaults(Func<GenerationOptions, GenerationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(o => o.Defaults = configure(o.Defaults)
            ?? throw new InvalidOperationException("the WithDefaults callback returned null; return the options to use."));
    }

    /// <summary>Sets how concurrent requests share the model (<see cref="GptOptions.Batching"/>), e.g.
    /// <c>b => b with { MaxBatchSize = 8, MaxQueuedRequests = 64 }</c>, or <c>b => b with { Enabled = false }</c> to decode each
    /// request on its own. Checked with the other options: a limit below one stops the app at start, naming it.</summary>
    /// <param name="configure">Maps the current batching options to new ones.</param>
    public GptBuilder WithBatching(Func<BatchingOptions, BatchingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(o => o.Batching = configure(o.Batching)
            ?? throw new InvalidOperationException("the WithBatching callback returned null; return the options to use."));
    }

    /// <summary>Binds <see cref="GptOptions"/> from a configuration section (ModelPath, Device, ModelId, Defaults:...).
    /// A key that matches no option is an error when the options are resolved, so a misspelling never goes unnoticed.</summary>
    /// <param name="section">The section, e.g. <c>configuration.GetSection("Gpt")</c>.</param>
    public GptBuilder BindConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Services.AddOptions<GptOptions>(_optionsName).Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return this;
    }

    /// <summary>Serves a model the app has already loaded or trained, instead of a folder. The app keeps
    /// ownership: the container does not dispose it.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    public GptBuilder UseModel(GptModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Configure(o => o.LoadedModel = (model, tokenizer));
    }

    /// <summary>
    /// Loads a LoRA adapter onto the served model, under <paramref name="name"/>, when the model is loaded (for a model
    /// given to <see cref="UseModel"/>: when the first service needs it). Requests pick it per call with
    /// <c>ChatOptions.ModelId = name</c> or <c>AdditionalProperties["adapter"] = name</c> (see <see cref="GptChatClient"/>),
    /// or <c>GenerationOptions.Adapter</c> on the <see cref="Generator"/>; every adapter shares the one base model.
    /// This is the one way adapters reach a hosted model: overloads that read adapter files call it.
    /// <code>
    /// gpt.WithLoraAdapter("support", model => model.AddLoraAdapter("support", new LoraConfig { Rank = 8 }))
    /// </code>
    /// A later call with the same name replaces the earlier one, as every builder setting does. Adapters the
    /// registration added to a model the app owns (<see cref="UseModel"/>) are removed when the container is disposed.
    /// </summary>
    /// <param name="name">The adapter's name: its id in requests and responses; it must differ from the model's id.</param>
    /// <param name="load">Adds the adapter to the model under <paramref name="name"/> (e.g. <see cref="GptModel.AddLoraAdapter"/>
    /// then its weights) and returns it. Called once, on the loading thread.</param>
    public GptBuilder WithLoraAdapter(string name, Func<GptModel, LoraAdapter> load)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(load);
        return Configure(o =>
        {
            int existing = o.LoraAdapters.FindIndex(a => a.Name == name);
            if (existing >= 0) o.LoraAdapters[existing] = (name, load);
            else o.LoraAdapters.Add((name, load));
        });
    }

    /// <summary>Loads the LoRA adapter in a Hugging Face PEFT folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>)
    /// onto the served model under <paramref name="name"/>; see <see cref="WithLoraAdapter(string, Func{GptModel, LoraAdapter})"/>.
    /// An adapter made for another base is refused when the model loads, naming the file.</summary>
    /// <param name="name">The adapter's name in requests and responses.</param>
    /// <param name="directory">The adapter folder.</param>
    public GptBuilder WithLoraAdapter(string name, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return WithLoraAdapter(name, model => PeftAdapterFiles.Load(model, directory, name));
    }

    private GptBuilder Configure(Action<GptOptions> configure)
    {
        Services.Configure(_optionsName, configure);
        return this;
    }
}

using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.Logging;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// The one loaded model behind a registration: weights and tokenizer are read once, when the first
/// service that needs them is resolved, and shared by every request (each request keeps its own
/// cache and sampler in the <see cref="Generator"/>). The registered LoRA adapters are loaded onto the model
/// right after it. Disposed with the container; frees the weights only when it loaded them.
/// </summary>
internal sealed class GptModelHost : IDisposable
{
    private readonly bool _ownsModel;
    private readonly List<LoraAdapter> _addedAdapters = [];
    private readonly Lazy<GptEmbeddingGenerator> _embeddingGenerator;

    public GptModelHost(GptOptions options, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger<GptModelHost>();
        Options = options;
        _embeddingGenerator = new(CreateEmbeddingGenerator);
        if (options.LoadedModel is { } loaded)
        {
            Generator = new Generator(loaded.Model, loaded.Tokenizer, chatTemplate: null, options.Batching);
            ModelId = options.ModelId ?? "gpt";
            GptLog.UsingLoadedModel(logger, ModelId, loaded.Model.ParameterCount, loaded.Model.Device.Name);
            LoadAdapters(loaded.Model, logger);
            return;
        }

        string folder = options.ModelPath!;
        var started = Stopwatch.StartNew();
        var device = Device.Get(options.Device);
        var model = GptModel.FromPretrained(folder, device, options.Weights);
        try
        {
            Generator = new Generator(model, TokenizerFiles.Load(folder), chatTemplate: null, options.Batching);
            ModelId = options.ModelId ?? new DirectoryInfo(Path.GetFullPath(folder)).Name;
            GptLog.ModelLoaded(logger, ModelId, Path.GetFullPath(folder), model.ParameterCount, device.Name,
                Generator.ChatTemplate.UsesSpecialTokens ? "ChatML" : "plain text", started.ElapsedMilliseconds);
            LoadAdapters(model, logger);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        _ownsModel = true;
    }

    /// <summary>The options the model was loaded with (their defaults seed every request).</summary>
    public GptOptions Options { get; }

    /// <summary>The shared, thread-safe engine over the model.</summary>
    public Generator Generator { get; }

    /// <summary>The model's name in metadata and responses.</summary>
    public string ModelId { get; }

    /// <summary>
    /// The embedding generator over the served model, made on first use: with the head of <see cref="GptOptions.EmbeddingHeadPath"/>,
    /// or mean pooling of the hidden states when none is set (every model can embed; only a trained head embeds well for
    /// retrieval).
    /// </summary>
    public GptEmbeddingGenerator EmbeddingGenerator => _embeddingGenerator.Value;

    /// <summary>Frees the model when the host loaded it; otherwise takes off the adapters it added, so the app's
    /// model is as it was given (and can be served again).</summary>
    public void Dispose()
    {
        if (_embeddingGenerator.IsValueCreated) _embeddingGenerator.Value.Embedder.Dispose();
        if (_ownsModel) Generator.Model.Dispose();
        else RemoveAddedAdapters(Generator.Model);
    }

    // Runs each registered loader and checks it did what its name promises: requests select the adapter by that
    // name, so one loaded under another name (or not at all) would be unreachable or answer for the wrong one.
    // On any failure the adapters loaded so far come off again, so a failed start leaves the app's model untouched.
    private void LoadAdapters(GptModel model, ILogger logger)
    {
        var before = model.Adapters.Keys.ToHashSet(StringComparer.Ordinal);
        try
        {
            foreach (var (name, load) in Options.LoraAdapters)
            {
                if (model.Adapters.ContainsKey(name))
                    throw new InvalidOperationException(
                        $"the model already has a LoRA adapter named '{name}', so WithLoraAdapter(\"{name}\", ...) cannot load another under that name. " +
                        "Adapters already on a model given to UseModel are served as they are: drop the registration, or register under another name.");
                var adapter = load(model) ?? throw new InvalidOperationException(
                    $"the loader of LoRA adapter '{name}' returned null; return the adapter it added to the model (e.g. model.AddLoraAdapter(\"{name}\", config)).");
                if (!model.Adapters.TryGetValue(name, out var registered) || registered != adapter)
                    throw new InvalidOperationException(
                        $"the loader of LoRA adapter '{name}' returned adapter '{adapter.Name}'{(adapter.Model == model ? "" : " of another model")}, " +
                        $"which is not loaded on the served model under '{name}'; add it to the model it is given, under the name it was registered with.");
                _addedAdapters.Add(adapter);
                GptLog.AdapterLoaded(logger, name, ModelId, adapter.Parameters.Count);
            }
        }
        catch
        {
            foreach (string name in model.Adapters.Keys.Where(n => !before.Contains(n)).ToList()) model.RemoveAdapter(name);
            _addedAdapters.Clear();
            throw;
        }
    }

    private GptEmbeddingGenerator CreateEmbeddingGenerator()
    {
        var model = Generator.Model;
        var embedder = Options.EmbeddingHeadPath is { } head
            ? Embeddings.Embedder.FromHead(model, Generator.Tokenizer, head)
            : Embeddings.Embedder.WithMeanPooling(model, Generator.Tokenizer);
        return new GptEmbeddingGenerator(embedder, ModelId);
    }

    private void RemoveAddedAdapters(GptModel model)
    {
        foreach (var adapter in _addedAdapters)
            if (model.Adapters.TryGetValue(adapter.Name, out var loaded) && loaded == adapter) model.RemoveAdapter(adapter.Name);
        _addedAdapters.Clear();
    }
}

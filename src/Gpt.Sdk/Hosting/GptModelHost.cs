using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// The one loaded model behind a registration: weights and tokenizer are read once, when the first
/// service that needs them is resolved, and shared by every request (each request keeps its own
/// cache and sampler in the <see cref="Generator"/>). Disposed with the container; frees the weights
/// only when it loaded them.
/// </summary>
internal sealed class GptModelHost : IDisposable
{
    private readonly bool _ownsModel;

    public GptModelHost(GptOptions options, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger<GptModelHost>();
        Options = options;
        if (options.LoadedModel is { } loaded)
        {
            Generator = new Generator(loaded.Model, loaded.Tokenizer);
            ModelId = options.ModelId ?? "gpt";
            GptLog.UsingLoadedModel(logger, ModelId, loaded.Model.ParameterCount, loaded.Model.Device.Name);
            return;
        }

        string folder = options.ModelPath!;
        var started = Stopwatch.StartNew();
        var device = Device.Get(options.Device);
        var model = GptModel.FromPretrained(folder, device);
        try
        {
            Generator = new Generator(model, TokenizerFiles.Load(folder));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        _ownsModel = true;
        ModelId = options.ModelId ?? new DirectoryInfo(Path.GetFullPath(folder)).Name;
        GptLog.ModelLoaded(logger, ModelId, Path.GetFullPath(folder), model.ParameterCount, device.Name,
            Generator.ChatTemplate.UsesSpecialTokens ? "ChatML" : "plain text", started.ElapsedMilliseconds);
    }

    /// <summary>The options the model was loaded with (their defaults seed every request).</summary>
    public GptOptions Options { get; }

    /// <summary>The shared, thread-safe engine over the model.</summary>
    public Generator Generator { get; }

    /// <summary>The model's name in metadata and responses.</summary>
    public string ModelId { get; }

    /// <summary>
    /// The embedding generator of a model with an embedding head, or null: the registration of
    /// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> resolves to this, so an app asks
    /// <c>GetService&lt;IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;&gt;()</c> and gets null for a plain
    /// language model. A <see cref="GptModel"/> has no embedding head yet (it comes with the contrastive
    /// head of Gpt.Sdk.Embeddings), so this is null for every model today.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator => null;

    public void Dispose()
    {
        if (_ownsModel) Generator.Model.Dispose();
    }
}

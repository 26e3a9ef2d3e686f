using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an <see cref="Embedder"/>: each call embeds all its inputs,
/// several per forward pass, on a thread-pool thread; calls run concurrently (each has its own tape). Every embedding is
/// L2-normalised; one whose text was longer than the context allows is truncated and carries
/// <c>AdditionalProperties["truncated"] = true</c>. <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/> counts the input
/// tokens read. An empty input is refused with <see cref="ArgumentException"/>. <see cref="GetService"/> returns the
/// <see cref="Embedder"/>, its <see cref="EmbeddingHead"/>, <see cref="Nn.GptModel"/> and tokenizer, and the metadata.
/// </summary>
public sealed class GptEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "gpt-sdk";

    /// <summary>The key of the truncation flag in an embedding's additional properties.</summary>
    public const string TruncatedProperty = "truncated";

    /// <summary>A generator over <paramref name="embedder"/> (which stays the caller's).</summary>
    /// <param name="embedder">The embedding model.</param>
    /// <param name="modelId">The model's name in metadata and results.</param>
    public GptEmbeddingGenerator(Embedder embedder, string modelId)
    {
        Embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, null, modelId, embedder.Dimension);
    }

    /// <summary>The embedding model.</summary>
    public Embedder Embedder { get; }

    /// <summary>Provider, model id and dimension.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Embeds <paramref name="values"/>, in order.</summary>
    /// <param name="values">The texts; none may be empty.</param>
    /// <param name="options">Only <see cref="EmbeddingGenerationOptions.Dimensions"/> is read: when set it must be the
    /// model's dimension (a head has one width).</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    /// <exception cref="ArgumentException">An input is empty, or another dimension is asked for.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dimensions && dimensions != Embedder.Dimension)
            throw new ArgumentException($"{dimensions} dimensions were asked for, but this model's embeddings have {Embedder.Dimension}; leave Dimensions unset or train a head of that width.", nameof(options));
        var texts = values.ToList();
        var results = await Task.Run(() => Embedder.Embed(texts, cancellationToken), cancellationToken).ConfigureAwait(false);
        var created = DateTimeOffset.UtcNow;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(results.Count);
        long tokens = 0;
        foreach (var result in results)
        {
            tokens += result.TokenCount;
            var embedding = new Embedding<float>(result.Vector) { ModelId = Metadata.DefaultModelId, CreatedAt = created };
            if (result.Truncated) embedding.AdditionalProperties = new AdditionalPropertiesDictionary { [TruncatedProperty] = true };
            embeddings.Add(embedding);
        }

        embeddings.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return embeddings;
    }

    /// <summary>The metadata, this generator, the <see cref="Embedder"/>, its head, trunk or tokenizer; null for anything else
    /// or any key.</summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">Must be null.</param>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        foreach (object inner in (object[])[Embedder, Embedder.Head, Embedder.Trunk, Embedder.Tokenizer])
            if (serviceType.IsInstanceOfType(inner)) return inner;
        return null;
    }

    /// <summary>Nothing to free: the embedder is the owner's.</summary>
    public void Dispose()
    {
    }
}

using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Tests.Embeddings;

/// <summary>A record whose vector is generated from its text by the store's embedding generator.</summary>
public sealed class Note
{
    [VectorStoreKey] public string Id { get; set; } = "";
    [VectorStoreData] public string Body { get; set; } = "";
    [VectorStoreVector(16)] public string Text { get; set; } = "";
}

/// <summary>A deterministic stand-in embedder: each character's code adds to one of the dimensions; identical texts embed identically.</summary>
internal sealed class HashingEmbeddingGenerator(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _calls;

    public int Calls => _calls;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var embeddings = values.Select(text =>
        {
            var vector = new float[dimensions];
            for (int i = 0; i < text.Length; i++) vector[(text[i] * 31 + i) % dimensions] += 1f;
            return new Embedding<float>(vector);
        });
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(embeddings));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

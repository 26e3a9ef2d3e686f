using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Retrieval;

/// <summary>Finds the chunks nearest a question: embeds it with the model that embedded the chunks and searches the
/// collection (any Microsoft.Extensions.VectorData connector). Thread-safe when the collection and generator are.</summary>
public sealed class Retriever
{
    private readonly VectorStoreCollection<string, ChunkRecord> _collection;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;

    /// <summary>A retriever over <paramref name="collection"/>.</summary>
    /// <param name="collection">Chunks stored by <see cref="DocumentIndexer"/>.</param>
    /// <param name="embeddings">The embedding model the chunks were embedded with.</param>
    public Retriever(VectorStoreCollection<string, ChunkRecord> collection, IEmbeddingGenerator<string, Embedding<float>> embeddings)
    {
        _collection = collection ?? throw new ArgumentNullException(nameof(collection));
        _embeddings = embeddings ?? throw new ArgumentNullException(nameof(embeddings));
    }

    /// <summary>The <paramref name="top"/> chunks nearest <paramref name="query"/>, nearest first.</summary>
    /// <param name="query">The question or search text; not empty.</param>
    /// <param name="top">How many chunks, at least 1.</param>
    /// <param name="cancellationToken">Cancels the embedding and the search.</param>
    /// <exception cref="ArgumentException">The query is empty, or its embedding's width is not the collection's (the
    /// collection was indexed with another model).</exception>
    public async Task<IReadOnlyList<RetrievedChunk>> RetrieveAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var embedding = await _embeddings.GenerateAsync(query, cancellationToken: cancellationToken).ConfigureAwait(false);
        var found = new List<RetrievedChunk>(top);
        await foreach (var hit in _collection.SearchAsync(embedding.Vector, top, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var record = hit.Record;
            found.Add(new RetrievedChunk(record.Id, record.Document, record.Index, record.Text, hit.Score ?? double.NaN));
        }
        return found;
    }
}

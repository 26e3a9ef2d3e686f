using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Retrieval;

/// <summary>
/// A chunk of a document as a vector store keeps it: the record type of the collections <see cref="DocumentIndexer"/>
/// fills and <see cref="Retriever"/> searches. Its vector's width is the embedding model's, known only at run time,
/// so collections of it are made with <see cref="CreateDefinition"/> rather than attributes.
/// </summary>
public sealed class ChunkRecord
{
    /// <summary>The key: <c>{document id}#{chunk index}</c>, so indexing a document again replaces its chunks.</summary>
    public string Id { get; set; } = "";

    /// <summary>The id of the document the chunk comes from.</summary>
    public string Document { get; set; } = "";

    /// <summary>The chunk's position in its document, from 0.</summary>
    public int Index { get; set; }

    /// <summary>The chunk's text.</summary>
    public string Text { get; set; } = "";

    /// <summary>The chunk's embedding.</summary>
    public ReadOnlyMemory<float> Embedding { get; set; }

    /// <summary>The key of chunk <paramref name="index"/> of document <paramref name="documentId"/>.</summary>
    /// <param name="documentId">The document's id.</param>
    /// <param name="index">The chunk's index.</param>
    public static string KeyOf(string documentId, int index) =>
        documentId + "#" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The schema of a collection of chunk records: key <see cref="Id"/>, data <see cref="Document"/>,
    /// <see cref="Index"/> and <see cref="Text"/>, and <see cref="Embedding"/> of <paramref name="dimensions"/> floats.
    /// Pass it to any <see cref="VectorStore.GetCollection{TKey, TRecord}"/>.</summary>
    /// <param name="dimensions">The embedding model's width.</param>
    /// <param name="distanceFunction">How search ranks (default cosine similarity, which for the SDK's unit-length
    /// embeddings equals the dot product).</param>
    public static VectorStoreCollectionDefinition CreateDefinition(int dimensions, string distanceFunction = DistanceFunction.CosineSimilarity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentException.ThrowIfNullOrEmpty(distanceFunction);
        return new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Id), typeof(string)),
                new VectorStoreDataProperty(nameof(Document), typeof(string)),
                new VectorStoreDataProperty(nameof(Index), typeof(int)),
                new VectorStoreDataProperty(nameof(Text), typeof(string)),
                new VectorStoreVectorProperty(nameof(Embedding), typeof(ReadOnlyMemory<float>), dimensions) { DistanceFunction = distanceFunction },
            ],
        };
    }
}

using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Embeddings;

/// <summary>Options of a <see cref="FlatVectorCollection{TKey, TRecord}"/>.</summary>
public sealed class FlatVectorCollectionOptions : VectorStoreCollectionOptions
{
    /// <summary>
    /// Threads a search over a large collection (16,384 rows or more) uses at most; null for one per
    /// processor. Smaller collections are searched on the calling thread.
    /// </summary>
    public int? MaxDegreeOfParallelism { get; set; }
}

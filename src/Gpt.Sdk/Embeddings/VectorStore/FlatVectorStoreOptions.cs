using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Embeddings;

/// <summary>Options of a <see cref="FlatVectorStore"/>, passed on to its collections.</summary>
public sealed class FlatVectorStoreOptions
{
    /// <summary>
    /// Generates vectors for vector properties that are not floats (for example a string property marked
    /// <c>[VectorStoreVector]</c>) and for searches by text, unless a collection's definition or property names
    /// its own generator.
    /// </summary>
    public IEmbeddingGenerator? EmbeddingGenerator { get; set; }

    /// <summary>Threads a search over a large collection uses at most; null for one per processor.</summary>
    public int? MaxDegreeOfParallelism { get; set; }
}

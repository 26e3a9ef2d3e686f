using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// What a vector index file (written by <see cref="FlatVectorCollection{TKey, TRecord}.SaveAsync"/>) holds,
/// read from its header by <see cref="VectorIndexFile.ReadInfo"/> without loading the vectors.
/// </summary>
public sealed record VectorIndexInfo
{
    /// <summary>The file format version.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>The name of the collection that was saved.</summary>
    public required string Collection { get; init; }

    /// <summary>Records in the file.</summary>
    public required int Count { get; init; }

    /// <summary>Floats per vector.</summary>
    public required int Dimensions { get; init; }

    /// <summary>The <see cref="Microsoft.Extensions.VectorData.DistanceFunction"/> searches rank by.</summary>
    public required string DistanceFunction { get; init; }

    /// <summary>The key property.</summary>
    public required VectorIndexProperty Key { get; init; }

    /// <summary>The vector property's storage name.</summary>
    public required string VectorName { get; init; }

    /// <summary>The data properties, in the order the file stores them.</summary>
    public required IReadOnlyList<VectorIndexProperty> Data { get; init; }

    /// <summary>The file's size in bytes.</summary>
    public required long FileLength { get; init; }

    /// <summary>
    /// A schema for a dynamic collection (<see cref="FlatVectorStore.GetDynamicCollection"/>) that the file loads
    /// into, for programs that do not have the record type the file was written with.
    /// </summary>
    /// <exception cref="NotSupportedException">A property's type is not a type this process can resolve by name.</exception>
    public VectorStoreCollectionDefinition ToDefinition()
    {
        var properties = new List<VectorStoreProperty> { new VectorStoreKeyProperty(Key.Name, Resolve(Key)) };
        properties.AddRange(Data.Select(p => new VectorStoreDataProperty(p.Name, Resolve(p))));
        properties.Add(new VectorStoreVectorProperty(VectorName, typeof(ReadOnlyMemory<float>), Dimensions) { DistanceFunction = DistanceFunction });
        return new VectorStoreCollectionDefinition { Properties = properties };
    }

    private static Type Resolve(VectorIndexProperty property) =>
        Type.GetType(property.TypeName, throwOnError: false)
        ?? throw new NotSupportedException(
            $"Property '{property.Name}' of the index has type '{property.TypeName}', which this program cannot load by name; " +
            "open the index with the record type it was written with (FlatVectorCollection<TKey, TRecord>.LoadAsync).");
}

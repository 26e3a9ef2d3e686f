using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// An in-memory <see cref="VectorStore"/> whose collections (<see cref="FlatVectorCollection{TKey, TRecord}"/>)
/// search exactly, with SIMD on several threads, and save to and load from index files. Collections of one
/// name share their records: two <see cref="GetCollection{TKey, TRecord}"/> calls see the same content.
/// </summary>
/// <remarks>
/// Write application code against <see cref="VectorStore"/> and <see cref="VectorStoreCollection{TKey, TRecord}"/>:
/// when one machine's memory is no longer enough, another Microsoft.Extensions.VectorData connector (a vector
/// database) takes this one's place without other changes.
/// </remarks>
public sealed class FlatVectorStore : VectorStore
{
    /// <summary>The <see cref="VectorStoreMetadata.VectorStoreSystemName"/> of this store and its collections.</summary>
    public const string SystemName = "gpt-sdk-flat";

    private readonly VectorTableRegistry _tables = new();
    private readonly FlatVectorStoreOptions _options;
    private readonly VectorStoreMetadata _metadata = new() { VectorStoreSystemName = SystemName };

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">The embedding generator and thread count its collections use; optional.</param>
    public FlatVectorStore(FlatVectorStoreOptions? options = null)
    {
        if (options?.MaxDegreeOfParallelism is int threads) ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(options));
        _options = options ?? new FlatVectorStoreOptions();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A collection of that name exists with another key type or record shape.</exception>
    public override FlatVectorCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
    {
        if (typeof(TRecord) == typeof(Dictionary<string, object?>))
            throw new ArgumentException("Use GetDynamicCollection for Dictionary<string, object?> records.", nameof(TRecord));
        var collection = new FlatVectorCollection<TKey, TRecord>(name, CollectionOptions(definition), _tables);
        _tables.Find<TKey>(name, collection.Schema); // an existing collection of another shape fails here, not on first use
        return collection;
    }

    /// <inheritdoc />
    public override FlatVectorCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new FlatVectorCollection<object, Dictionary<string, object?>>(name, CollectionOptions(definition), _tables);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<string> ListCollectionNamesAsync(CancellationToken cancellationToken = default) =>
        _tables.Names.ToArray().ToAsyncEnumerable();

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Task.FromResult(_tables.Contains(name));
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _tables.Remove(name);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    private FlatVectorCollectionOptions CollectionOptions(VectorStoreCollectionDefinition? definition) => new()
    {
        Definition = definition,
        EmbeddingGenerator = _options.EmbeddingGenerator,
        MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism,
    };
}

using System.Collections.Concurrent;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The tables of one store by collection name, so every collection object of a name sees the same rows.
/// Loading a file swaps in a whole new table: searches already running finish on the old one.
/// </summary>
internal sealed class VectorTableRegistry
{
    private readonly ConcurrentDictionary<string, object> _tables = new();

    /// <summary>The collection names.</summary>
    public IEnumerable<string> Names => _tables.Keys;

    /// <summary>Whether a collection of that name exists.</summary>
    public bool Contains(string name) => _tables.ContainsKey(name);

    /// <summary>The table of <paramref name="name"/>, or null when the collection does not exist.</summary>
    /// <exception cref="InvalidOperationException">The collection exists with another key type or record shape.</exception>
    public VectorTable<TKey>? Find<TKey>(string name, VectorTableSchema schema) where TKey : notnull =>
        _tables.TryGetValue(name, out object? table) ? Check<TKey>(name, table, schema) : null;

    /// <summary>The table of <paramref name="name"/>, created empty if needed.</summary>
    public VectorTable<TKey> GetOrCreate<TKey>(string name, VectorTableSchema schema) where TKey : notnull =>
        Check<TKey>(name, _tables.GetOrAdd(name, _ => new VectorTable<TKey>(schema)), schema);

    /// <summary>Makes <paramref name="table"/> the content of <paramref name="name"/>.</summary>
    public void Replace<TKey>(string name, VectorTable<TKey> table) where TKey : notnull => _tables[name] = table;

    /// <summary>Removes the collection; true when it existed.</summary>
    public bool Remove(string name) => _tables.TryRemove(name, out _);

    private static VectorTable<TKey> Check<TKey>(string name, object table, VectorTableSchema schema) where TKey : notnull
    {
        if (table is not VectorTable<TKey> typed)
            throw new InvalidOperationException(
                $"Collection '{name}' already exists with another key type than {typeof(TKey).Name}; open it with the key type it was created with.");
        if (typed.Schema.Difference(schema) is string difference)
            throw new InvalidOperationException(
                $"Collection '{name}' already exists with other records: {difference}. Open it with the record shape it was created with, or use another name.");
        return typed;
    }
}

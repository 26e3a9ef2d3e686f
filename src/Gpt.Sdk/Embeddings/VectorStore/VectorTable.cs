namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The stored content of one collection: the vectors (<see cref="VectorRows"/>), each row's fields
/// ([key, data properties]) and the key → row map, behind one reader/writer lock. Searches and reads share
/// the lock, so any number run at once; an upsert or delete waits for them and is seen whole or not at all.
/// </summary>
/// <remarks>
/// The lock is taken and released on one thread with no awaits in between (<see cref="ReaderWriterLockSlim"/>
/// is thread-affine), which is why every operation here is synchronous and the collection's async methods
/// finish their work before they yield anything.
/// </remarks>
internal sealed class VectorTable<TKey> : IDisposable where TKey : notnull
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<TKey, int> _rowOfKey = [];
    private readonly List<object?[]> _fields = [];

    public VectorTable(VectorTableSchema schema)
    {
        Schema = schema;
        Rows = new VectorRows(schema.Dimensions);
    }

    /// <summary>What the rows hold.</summary>
    public VectorTableSchema Schema { get; }

    /// <summary>The vectors; read them only inside <see cref="Read{T}"/>.</summary>
    public VectorRows Rows { get; }

    /// <summary>Each row's fields: [key, data properties in schema order]; read them only inside <see cref="Read{T}"/>.</summary>
    public IReadOnlyList<object?[]> Fields => _fields;

    /// <summary>Records stored.</summary>
    public int Count => Read(static table => table._fields.Count);

    /// <summary>Runs <paramref name="read"/> with writers held off.</summary>
    public T Read<T>(Func<VectorTable<TKey>, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read(this);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The row of <paramref name="key"/>, or -1; call inside <see cref="Read{T}"/>.</summary>
    public int RowOf(TKey key) => _rowOfKey.TryGetValue(key, out int row) ? row : -1;

    /// <summary>Inserts or replaces rows, all under one write lock. The vectors and constants were validated by the caller.</summary>
    public void Upsert(IReadOnlyList<(TKey Key, object?[] Fields, float[] Vector, float Scale, float Bias)> rows)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var (key, fields, vector, scale, bias) in rows)
            {
                if (_rowOfKey.TryGetValue(key, out int row))
                {
                    Rows.Set(row, vector, scale, bias);
                    _fields[row] = fields;
                }
                else
                {
                    _rowOfKey.Add(key, Rows.Add(vector, scale, bias));
                    _fields.Add(fields);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Deletes the rows of <paramref name="keys"/>; absent keys are ignored.</summary>
    public void Delete(IEnumerable<TKey> keys)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var key in keys)
            {
                if (!_rowOfKey.Remove(key, out int row)) continue;
                int moved = Rows.RemoveBySwap(row);
                if (moved != row)
                {
                    _fields[row] = _fields[moved];
                    _rowOfKey[(TKey)_fields[row][0]!] = row;
                }
                _fields.RemoveAt(moved);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Gives the next row of a table no one else sees yet (one being loaded, whose vectors are already in
    /// <see cref="Rows"/>) its key and fields, without the lock.
    /// </summary>
    /// <exception cref="InvalidDataException">The key is already taken.</exception>
    public void AddFieldsUnpublished(TKey key, object?[] fields)
    {
        if (!_rowOfKey.TryAdd(key, _fields.Count)) throw new InvalidDataException($"the key '{key}' appears twice");
        _fields.Add(fields);
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}

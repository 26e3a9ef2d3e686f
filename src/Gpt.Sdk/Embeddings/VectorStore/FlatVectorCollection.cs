using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Gpt.Sdk.IO;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// An in-memory collection with exact (flat, brute-force) search: every stored vector is scored for every
/// query, so results are the true top k, not an approximation. Vectors sit in contiguous chunks and are
/// scanned with SIMD on several threads; <see cref="SearchBatchAsync"/> scores many queries in one pass over
/// memory. Implements Microsoft.Extensions.VectorData's <see cref="VectorStoreCollection{TKey, TRecord}"/>, so
/// code written against the abstraction moves to any other vector database connector unchanged.
/// </summary>
/// <remarks>
/// <para>Records are described the abstraction's way (<c>[VectorStoreKey]</c>, <c>[VectorStoreData]</c>, one
/// <c>[VectorStoreVector(Dimensions: n, DistanceFunction = ...)]</c>, or a <see cref="VectorStoreCollectionDefinition"/>).
/// Distance functions: cosine similarity (the default) and distance, dot product and its negative, Euclidean
/// and squared Euclidean distance; others are refused when the collection is created. Filters: comparisons
/// of key or data properties with values, boolean properties, and !, &amp;&amp;, ||.</para>
/// <para>The collection keeps the key and data values and the vector, not the record object: reads return new
/// records. Data values are kept by reference, so do not change a mutable value (an array) after upserting it.</para>
/// <para>Thread-safe: searches and reads run concurrently; upserts and deletes wait for them and are atomic
/// per call. <see cref="SaveAsync"/> writes a consistent snapshot atomically; <see cref="LoadAsync"/> reads it
/// back after a restart.</para>
/// </remarks>
/// <typeparam name="TKey">The key type (for a dynamic collection, <see cref="object"/>).</typeparam>
/// <typeparam name="TRecord">The record type (for a dynamic collection, <c>Dictionary&lt;string, object?&gt;</c>).</typeparam>
public sealed class FlatVectorCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private readonly CollectionModel _model;
    private readonly VectorTableSchema _schema;
    private readonly VectorTableRegistry _tables;
    private readonly int _maxThreads;
    private readonly VectorStoreCollectionMetadata _metadata;

    /// <summary>Creates a collection of its own (not part of a <see cref="FlatVectorStore"/>); call <see cref="EnsureCollectionExistsAsync"/> or <see cref="LoadAsync"/> before use.</summary>
    /// <param name="name">The collection's name.</param>
    /// <param name="options">The record definition, embedding generator and thread count, all optional.</param>
    /// <exception cref="ArgumentException">The name is empty, or the record type is not one the store can hold (the message says why).</exception>
    /// <exception cref="NotSupportedException">The vector property asks for a distance function the store does not support.</exception>
    public FlatVectorCollection(string name, FlatVectorCollectionOptions? options = null)
        : this(name, options, new VectorTableRegistry())
    {
    }

    internal FlatVectorCollection(string name, FlatVectorCollectionOptions? options, VectorTableRegistry tables)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options ??= new FlatVectorCollectionOptions();
        if (options.MaxDegreeOfParallelism is int threads) ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(options));
        var builder = new FlatVectorModelBuilder();
        _model = typeof(TRecord) == typeof(Dictionary<string, object?>)
            ? builder.BuildDynamic(
                options.Definition ?? throw new ArgumentException("A dynamic collection (Dictionary<string, object?> records) needs a definition of its properties.", nameof(options)),
                options.EmbeddingGenerator)
            : builder.Build(typeof(TRecord), typeof(TKey), options.Definition, options.EmbeddingGenerator);
        _schema = VectorTableSchema.From(_model);
        _tables = tables;
        _maxThreads = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount;
        Name = name;
        _metadata = new VectorStoreCollectionMetadata { VectorStoreSystemName = FlatVectorStore.SystemName, CollectionName = name };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Records stored; 0 when the collection does not exist.</summary>
    public int Count => _tables.Find<TKey>(Name, _schema)?.Count ?? 0;

    /// <summary>Floats per vector.</summary>
    public int Dimensions => _schema.Dimensions;

    /// <summary>What the collection's rows hold.</summary>
    internal VectorTableSchema Schema => _schema;

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(_tables.Contains(Name));

    /// <inheritdoc />
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        _tables.GetOrCreate<TKey>(Name, _schema);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        _tables.Remove(Name);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool vectors = IncludeVectors(options?.IncludeVectors ?? false);
        return Task.FromResult(Table().Read(t =>
        {
            int row = t.RowOf(key);
            return row < 0 ? null : Build(t, row, vectors);
        }));
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        bool vectors = IncludeVectors(options?.IncludeVectors ?? false);
        var found = Table().Read(t => keys.Select(t.RowOf).Where(row => row >= 0).Select(row => Build(t, row, vectors)).ToList());
        foreach (var record in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        bool vectors = IncludeVectors(options.IncludeVectors);
        var test = RecordFilter.Compile(filter, _model);
        var order = options.OrderBy?.Invoke(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values ?? [];
        var sorts = order.Select(s => (Field: RecordFilter.FieldIndex(_model, _model.GetDataOrKeyProperty(s.PropertySelector)), s.Ascending)).ToArray();
        var found = Table().Read(t =>
        {
            var rows = Enumerable.Range(0, t.Fields.Count).Where(row => test(t.Fields[row]));
            if (sorts.Length > 0) rows = rows.Order(Comparer<int>.Create((a, b) => CompareRows(t.Fields[a], t.Fields[b], sorts)));
            return rows.Skip(options.Skip).Take(top).Select(row => Build(t, row, vectors)).ToList();
        });
        foreach (var record in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        Table().Delete([key]);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Table().Delete(keys.ToList());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A record has no key, no vector, a vector of the wrong length, a NaN or infinity in its vector, or (cosine) an all-zero vector; nothing is stored then.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records as IReadOnlyList<TRecord> ?? records.ToList();
        var table = Table();
        var vectorProperty = _model.VectorProperty;
        IReadOnlyList<ReadOnlyMemory<float>>? generated = FlatVectorModelBuilder.IsStoredVectorType(vectorProperty.Type)
            ? null
            : await GenerateVectorsAsync(list, cancellationToken).ConfigureAwait(false);
        var rows = new List<(TKey, object?[], float[], float, float)>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            var record = list[i] ?? throw new ArgumentException($"Record {i} is null.", nameof(records));
            TKey key = KeyOf(record, i);
            float[] vector = (generated?[i] ?? StoredVector(record, key)).ToArray();
            double squaredNorm = VectorChecks.Validate(vector, _schema.Dimensions, _schema.Metric, $"The vector of record '{key}'", nameof(records));
            var (scale, bias) = _schema.Metric.RowConstants(squaredNorm);
            var fields = new object?[_model.DataProperties.Count + 1];
            fields[0] = key;
            for (int j = 0; j < _model.DataProperties.Count; j++) fields[j + 1] = _model.DataProperties[j].GetValueAsObject(record);
            rows.Add((key, fields, vector, scale, bias));
        }
        table.Upsert(rows);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="searchValue"/> is a vector (<c>ReadOnlyMemory&lt;float&gt;</c>, <c>float[]</c>,
    /// <c>Embedding&lt;float&gt;</c>) or, with an embedding generator configured, a value it embeds (text).
    /// Results come nearest first; their score is in the units of the distance function.
    /// </remarks>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var query = await QueryVectorAsync(searchValue, cancellationToken).ConfigureAwait(false);
        foreach (var result in Search([query], top, options, cancellationToken)[0]) yield return result;
    }

    /// <summary>
    /// Searches for many query vectors in one pass over the stored vectors: each block of stored vectors is
    /// read from memory once for the whole batch, so a batch of 100 queries costs far less than 100 searches.
    /// The results equal those of <see cref="SearchAsync{TInput}"/> for each query.
    /// </summary>
    /// <param name="queries">The query vectors, each of <see cref="Dimensions"/> floats.</param>
    /// <param name="top">Results per query.</param>
    /// <param name="options">Filter, skip, score threshold and whether to return vectors; as for a single search.</param>
    /// <param name="cancellationToken">Cancels the search between blocks of stored vectors.</param>
    /// <returns>One list per query, in order, nearest first.</returns>
    /// <exception cref="ArgumentException">A query has the wrong length, a NaN or infinity, or (cosine) is all zeros.</exception>
    public Task<IReadOnlyList<IReadOnlyList<VectorSearchResult<TRecord>>>> SearchBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries,
        int top, VectorSearchOptions<TRecord>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        return Task.FromResult<IReadOnlyList<IReadOnlyList<VectorSearchResult<TRecord>>>>(Search(queries, top, options, cancellationToken));
    }

    /// <summary>
    /// Writes the collection (keys, data values, vectors) to <paramref name="path"/> as a vector index file
    /// (<see cref="VectorIndexFile"/>): to a temporary file first, renamed over <paramref name="path"/> when
    /// complete, so a crash or cancellation mid-save leaves the previous file intact. Searches go on during
    /// the save; upserts and deletes wait for it.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="progress">Receives the bytes written so far, after each block.</param>
    /// <param name="cancellationToken">Cancels the save, leaving the previous file.</param>
    /// <exception cref="VectorStoreException">The collection does not exist.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public Task SaveAsync(string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var table = Table();
        return Task.Run(() => AtomicFile.Write(path, stream => table.Read(t =>
        {
            VectorIndexFile.Write(stream, t, Name, progress, cancellationToken);
            return true;
        })), cancellationToken);
    }

    /// <summary>
    /// Replaces the collection's content with the index file at <paramref name="path"/> (creating the
    /// collection if needed). Searches already running finish on the previous content.
    /// </summary>
    /// <param name="path">A file written by <see cref="SaveAsync"/> for records of this shape.</param>
    /// <param name="cancellationToken">Cancels the load, leaving the collection as it was.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a vector index, or is truncated or corrupt.</exception>
    /// <exception cref="InvalidOperationException">The file holds records of another shape (key, data properties, vector length or distance function).</exception>
    public async Task LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var table = await Task.Run(() => VectorIndexFile.Read<TKey>(path, _schema, cancellationToken), cancellationToken).ConfigureAwait(false);
        _tables.Replace(Name, table);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreCollectionMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    private VectorTable<TKey> Table() => _tables.Find<TKey>(Name, _schema)
        ?? throw new VectorStoreException($"Collection '{Name}' does not exist; call EnsureCollectionExistsAsync (or LoadAsync) first.")
        {
            VectorStoreSystemName = FlatVectorStore.SystemName,
            CollectionName = Name,
        };

    private IReadOnlyList<VectorSearchResult<TRecord>>[] Search(IReadOnlyList<ReadOnlyMemory<float>> queries, int top,
        VectorSearchOptions<TRecord>? options, CancellationToken cancellationToken)
    {
        options ??= new VectorSearchOptions<TRecord>();
        _model.GetVectorPropertyOrSingle(options);
        bool vectors = IncludeVectors(options.IncludeVectors);
        int d = _schema.Dimensions, batch = queries.Count;
        var packed = new float[(long)batch * d];
        var squaredNorms = new double[batch];
        for (int q = 0; q < batch; q++)
        {
            var span = queries[q].Span;
            squaredNorms[q] = VectorChecks.Validate(span, d, _schema.Metric, batch == 1 ? "The query vector" : $"Query vector {q}", nameof(queries));
            span.CopyTo(packed.AsSpan(q * d, d));
        }
        var filter = options.Filter is null ? null : RecordFilter.Compile(options.Filter, _model);
        int k = checked(top + options.Skip);
        return Table().Read(t =>
        {
            bool[]? allowed = null;
            if (filter is not null)
            {
                allowed = new bool[t.Fields.Count];
                for (int row = 0; row < allowed.Length; row++) allowed[row] = filter(t.Fields[row]);
            }
            var heaps = ExactSearch.Run(t.Rows, packed, batch, k, allowed, _maxThreads, cancellationToken);
            var results = new IReadOnlyList<VectorSearchResult<TRecord>>[batch];
            for (int q = 0; q < batch; q++)
            {
                var nearest = heaps[q].ToSortedArray();
                var list = new List<VectorSearchResult<TRecord>>(Math.Max(0, nearest.Length - options.Skip));
                foreach (var (rank, row) in nearest.Skip(options.Skip))
                {
                    double score = _schema.Metric.Score(rank, squaredNorms[q]);
                    // Nearest first: once one result misses the threshold, so do all after it.
                    if (!_schema.Metric.Passes(score, options.ScoreThreshold)) break;
                    list.Add(new VectorSearchResult<TRecord>(Build(t, row, vectors), score));
                }
                results[q] = list;
            }
            return results;
        });
    }

    private async ValueTask<ReadOnlyMemory<float>> QueryVectorAsync<TInput>(TInput searchValue, CancellationToken cancellationToken)
    {
        switch (searchValue)
        {
            case ReadOnlyMemory<float> memory: return memory;
            case float[] array: return array;
            case Embedding<float> embedding: return embedding.Vector;
        }
        var generator = _model.VectorProperty.EmbeddingGenerator;
        if (generator is IEmbeddingGenerator<TInput, Embedding<float>> typed)
            return await typed.GenerateVectorAsync(searchValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        throw new NotSupportedException(generator is null
            ? $"Cannot search collection '{Name}' by a {typeof(TInput).Name}: pass a vector ({FlatVectorModelBuilder.SupportedVectorTypes}), or configure an EmbeddingGenerator that embeds {typeof(TInput).Name} values."
            : $"The embedding generator of collection '{Name}' ({generator.GetType().Name}) does not embed {typeof(TInput).Name} values into Embedding<float>; pass a vector or a value it accepts.");
    }

    private async Task<IReadOnlyList<ReadOnlyMemory<float>>> GenerateVectorsAsync(IReadOnlyList<TRecord> records, CancellationToken cancellationToken)
    {
        var property = _model.VectorProperty;
        var embeddings = await property.GenerateEmbeddingsAsync(records.Select(r => property.GetValueAsObject(r)!), cancellationToken).ConfigureAwait(false);
        return embeddings.Select(e => e is Embedding<float> floats
            ? floats.Vector
            : throw new InvalidOperationException($"The embedding generator of property '{property.ModelName}' returned {e.GetType().Name}; the flat vector store stores Embedding<float>.")).ToArray();
    }

    private TKey KeyOf(TRecord record, int index)
    {
        var property = _model.KeyProperty;
        object? value = property.GetValueAsObject(record);
        if (property.IsAutoGenerated && value is Guid guid && guid == Guid.Empty)
        {
            value = Guid.NewGuid();
            property.SetValueAsObject(record, value);
        }
        if (value is null)
            throw new ArgumentException($"Record {index} has no key ('{property.ModelName}' is null).", "records");
        if (value.GetType() != _schema.KeyType || value is not TKey key)
            throw new ArgumentException($"Record {index} has a key of type {value.GetType().Name}; the collection's key '{property.ModelName}' is {_schema.KeyType.Name}.", "records");
        return key;
    }

    private ReadOnlyMemory<float> StoredVector(TRecord record, TKey key) => _model.VectorProperty.GetValueAsObject(record) switch
    {
        ReadOnlyMemory<float> memory => memory,
        float[] array => array,
        Embedding<float> embedding => embedding.Vector,
        _ => throw new ArgumentException($"Record '{key}' has no vector ('{_model.VectorProperty.ModelName}' is empty); every record needs one.", "records"),
    };

    private bool IncludeVectors(bool requested)
    {
        if (requested && _model.EmbeddingGenerationRequired)
            throw new NotSupportedException(
                $"Collection '{Name}' generates its vectors from '{_model.VectorProperty.ModelName}', so it cannot return them in that property; search without IncludeVectors.");
        return requested;
    }

    private TRecord Build(VectorTable<TKey> table, int row, bool includeVectors)
    {
        var record = _model.CreateRecord<TRecord>()!;
        object?[] fields = table.Fields[row];
        _model.KeyProperty.SetValueAsObject(record, fields[0]);
        for (int i = 0; i < _model.DataProperties.Count; i++) _model.DataProperties[i].SetValueAsObject(record, fields[i + 1]);
        if (includeVectors)
        {
            var property = _model.VectorProperty;
            float[] vector = table.Rows.Row(row).ToArray();
            property.SetValueAsObject(record, property.Type == typeof(float[]) ? vector
                : property.Type == typeof(Embedding<float>) ? new Embedding<float>(vector)
                : new ReadOnlyMemory<float>(vector));
        }
        return record;
    }

    private static int CompareRows(object?[] a, object?[] b, (int Field, bool Ascending)[] sorts)
    {
        foreach (var (field, ascending) in sorts)
        {
            int order = Comparer<object?>.Default.Compare(a[field], b[field]);
            if (order != 0) return ascending ? order : -order;
        }
        return 0;
    }
}

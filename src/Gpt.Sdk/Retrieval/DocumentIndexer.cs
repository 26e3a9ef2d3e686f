using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Retrieval;

/// <summary>
/// Fills a vector store collection with documents: each is cut by a <see cref="TextChunker"/>, the chunks are embedded
/// by an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> many at a time, and stored as <see cref="ChunkRecord"/>s
/// keyed <c>{document id}#{chunk index}</c>. Written against Microsoft.Extensions.VectorData's
/// <see cref="VectorStoreCollection{TKey, TRecord}"/>: the SDK's <see cref="Embeddings.FlatVectorStore"/> or any other
/// connector (a vector database) holds the index.
/// </summary>
public sealed class DocumentIndexer
{
    // The key of the truncation flag GptEmbeddingGenerator sets on an embedding (Hosting sits above this layer).
    private const string TruncatedProperty = "truncated";

    private readonly VectorStoreCollection<string, ChunkRecord> _collection;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;

    /// <summary>An indexer into <paramref name="collection"/>.</summary>
    /// <param name="collection">Where chunks go; made with <see cref="ChunkRecord.CreateDefinition"/> for the generator's width.
    /// It is created if it does not exist.</param>
    /// <param name="embeddings">The embedding model; queries must later be embedded by the same one.</param>
    /// <param name="chunker">How documents are cut (its tokenizer should be the embedding model's, so a chunk fits it).</param>
    /// <param name="batchSize">Chunks embedded per call to the generator (default 32).</param>
    public DocumentIndexer(VectorStoreCollection<string, ChunkRecord> collection, IEmbeddingGenerator<string, Embedding<float>> embeddings,
        TextChunker chunker, int batchSize = 32)
    {
        _collection = collection ?? throw new ArgumentNullException(nameof(collection));
        _embeddings = embeddings ?? throw new ArgumentNullException(nameof(embeddings));
        Chunker = chunker ?? throw new ArgumentNullException(nameof(chunker));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = batchSize;
    }

    /// <summary>How documents are cut.</summary>
    public TextChunker Chunker { get; }

    /// <summary>Chunks embedded per call to the generator.</summary>
    public int BatchSize { get; }

    /// <summary>Chunks, embeds and stores <paramref name="documents"/>, read lazily (a large corpus need not be in memory).</summary>
    /// <param name="documents">The documents; ids unique and non-empty, texts non-empty.</param>
    /// <param name="progress">Told after each stored batch.</param>
    /// <param name="cancellationToken">Cancels between batches; the batches stored so far stay stored.</param>
    /// <exception cref="ArgumentException">A document has an empty id or text, or an id seen before in this call.</exception>
    /// <exception cref="InvalidOperationException">The generator returned a different number of embeddings than texts.</exception>
    public async Task<IndexingResult> IndexAsync(IEnumerable<SourceDocument> documents, IProgress<IndexingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        await _collection.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new List<TextChunk>(BatchSize);
        int documentCount = 0, stored = 0, truncated = 0;
        long tokens = 0;

        async Task Flush()
        {
            if (pending.Count == 0) return;
            cancellationToken.ThrowIfCancellationRequested();
            var embedded = await _embeddings.GenerateAsync(pending.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (embedded.Count != pending.Count)
                throw new InvalidOperationException($"the embedding generator returned {embedded.Count} embeddings for {pending.Count} texts.");
            var records = new ChunkRecord[pending.Count];
            for (int i = 0; i < records.Length; i++)
            {
                var chunk = pending[i];
                if (embedded[i].AdditionalProperties?.TryGetValue(TruncatedProperty, out object? flag) == true && flag is true) truncated++;
                records[i] = new ChunkRecord
                {
                    Id = ChunkRecord.KeyOf(chunk.DocumentId, chunk.Index), Document = chunk.DocumentId, Index = chunk.Index,
                    Text = chunk.Text, Embedding = embedded[i].Vector,
                };
            }
            await _collection.UpsertAsync(records, cancellationToken).ConfigureAwait(false);
            stored += records.Length;
            tokens += embedded.Usage?.InputTokenCount ?? 0;
            pending.Clear();
            progress?.Report(new IndexingProgress(documentCount, stored, tokens));
        }

        foreach (var document in documents)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Check(document, seen);
            documentCount++;
            foreach (var chunk in Chunker.Chunk(document.Id, document.Text))
            {
                pending.Add(chunk);
                if (pending.Count == BatchSize) await Flush().ConfigureAwait(false);
            }
        }
        await Flush().ConfigureAwait(false);
        return new IndexingResult(documentCount, stored, tokens, truncated);
    }

    private static void Check(SourceDocument? document, HashSet<string> seen)
    {
        if (document is null) throw new ArgumentException("a document is null.", "documents");
        if (string.IsNullOrWhiteSpace(document.Id))
            throw new ArgumentException("a document has no id; give every document a unique, non-empty id (citations name it).", "documents");
        if (string.IsNullOrWhiteSpace(document.Text))
            throw new ArgumentException($"document '{document.Id}' has no text; leave it out or give it some.", "documents");
        if (!seen.Add(document.Id))
            throw new ArgumentException($"document id '{document.Id}' appears twice; its chunks would replace each other. Give each document its own id.", "documents");
    }
}

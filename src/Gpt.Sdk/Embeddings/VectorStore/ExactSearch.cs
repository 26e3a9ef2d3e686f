namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Exact top-k over every stored row for a batch of queries. Chunks of rows are the unit of parallel work;
/// inside a chunk, each 4-row tile is scored against every query of a block (<see cref="DotProductTiles"/>)
/// while it sits in the L1 cache, so a chunk is read from memory once per block of queries, not once per
/// query: a batch costs little more memory traffic than a single query. Each score goes straight into the
/// query's top-k heap when it beats the heap's weakest entry; no score matrix is written.
/// </summary>
internal static unsafe class ExactSearch
{
    // Below this many rows one thread is faster than waking others.
    private const int ParallelRows = 16_384;

    // Queries held in the L2 cache while a chunk's tiles pass over them (floats; 512 KB).
    private const int QueryBlockFloats = 1 << 17;

    /// <summary>The best <paramref name="k"/> rows for each query.</summary>
    /// <param name="rows">The stored vectors; not modified while this runs (the caller holds the read lock).</param>
    /// <param name="queries">[batch, d], contiguous.</param>
    /// <param name="batch">Number of queries.</param>
    /// <param name="k">Rows kept per query.</param>
    /// <param name="allowed">Null, or [rows.Count]: false excludes a row (a filter).</param>
    /// <param name="maxThreads">Threads to use at most.</param>
    /// <param name="cancellationToken">Checked between chunks.</param>
    public static TopK[] Run(VectorRows rows, float[] queries, int batch, int k, bool[]? allowed, int maxThreads,
        CancellationToken cancellationToken)
    {
        k = Math.Max(1, Math.Min(k, rows.Count)); // a top larger than the collection needs no larger heaps
        var result = NewHeaps(batch, k);
        int chunks = rows.ChunkCount;
        if (chunks == 0) return result;
        if (rows.Count < ParallelRows || maxThreads == 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ScanChunk(rows, c, queries, batch, allowed, result);
            }
            return result;
        }
        var scan = new ParallelScan(rows, queries, batch, k, allowed, result, chunks, cancellationToken);
        for (int helper = 1; helper < Math.Min(maxThreads, chunks); helper++) ThreadPool.UnsafeQueueUserWorkItem(ParallelScan.Help, scan, preferLocal: false);
        scan.Work();
        scan.WaitForHelpers();
        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    /// <summary>
    /// One parallel scan: the calling thread and up to maxThreads - 1 thread-pool helpers claim chunks until none
    /// are left, each into heaps of its own, merged at the end. The caller never waits for a helper that has not
    /// started: one that starts late finds no chunk and leaves. So a search finishes even when the thread pool is
    /// saturated (Parallel.For, called from a thread outside the pool, waits for pool threads to run its work).
    /// </summary>
    private sealed class ParallelScan(VectorRows rows, float[] queries, int batch, int k, bool[]? allowed, TopK[] result, int chunks,
        CancellationToken cancellationToken)
    {
        private readonly object _gate = new();
        private int _nextChunk = -1;
        private int _activeHelpers;
        private Exception? _error;

        public static void Help(ParallelScan scan)
        {
            lock (scan._gate) scan._activeHelpers++;
            try
            {
                scan.Work();
            }
            catch (Exception error)
            {
                lock (scan._gate) scan._error ??= error;
            }
            finally
            {
                lock (scan._gate)
                {
                    if (--scan._activeHelpers == 0) Monitor.PulseAll(scan._gate);
                }
            }
        }

        public void Work()
        {
            TopK[]? local = null;
            int chunk;
            while ((chunk = Interlocked.Increment(ref _nextChunk)) < chunks && !cancellationToken.IsCancellationRequested)
            {
                local ??= NewHeaps(batch, k);
                ScanChunk(rows, chunk, queries, batch, allowed, local);
            }
            if (local is null) return;
            lock (_gate)
            {
                for (int q = 0; q < batch; q++) result[q].AddAll(local[q]);
            }
        }

        public void WaitForHelpers()
        {
            // Every chunk is claimed now; only helpers already inside Work can still be scanning or merging.
            Interlocked.Exchange(ref _nextChunk, chunks);
            lock (_gate)
            {
                while (_activeHelpers > 0) Monitor.Wait(_gate);
                if (_error is not null) throw new AggregateException(_error);
            }
        }
    }

    private static TopK[] NewHeaps(int batch, int k)
    {
        var heaps = new TopK[batch];
        for (int q = 0; q < batch; q++) heaps[q] = new TopK(k);
        return heaps;
    }

    private static void ScanChunk(VectorRows rows, int chunk, float[] queries, int batch, bool[]? allowed, TopK[] heaps)
    {
        (float[] data, int count) = rows.Chunk(chunk);
        int d = rows.Dimensions, firstRow = chunk * rows.ChunkRows, tiled = count / 4 * 4;
        int queryBlock = Math.Max(4, QueryBlockFloats / d / 4 * 4);
        float[] scales = rows.Scales, biases = rows.Biases;
        float* tile = stackalloc float[16];
        fixed (float* pq = queries, pr = data)
        {
            for (int q0 = 0; q0 < batch; q0 += queryBlock)
            {
                int q1 = Math.Min(batch, q0 + queryBlock);
                for (int j = 0; j < tiled; j += 4)
                {
                    float* r = pr + (long)j * d;
                    int row = firstRow + j, q = q0;
                    for (; q + 4 <= q1; q += 4)
                    {
                        DotProductTiles.Tile4x4(pq + (long)q * d, r, d, tile);
                        for (int i = 0; i < 4; i++) Offer(heaps[q + i], tile + 4 * i, 4, row, scales, biases, allowed);
                    }
                    for (; q < q1; q++)
                    {
                        DotProductTiles.Tile1x4(pq + (long)q * d, r, d, tile);
                        Offer(heaps[q], tile, 4, row, scales, biases, allowed);
                    }
                }
                for (int j = tiled; j < count; j++)
                {
                    for (int q = q0; q < q1; q++)
                    {
                        tile[0] = DotProductTiles.Dot(pq + (long)q * d, pr + (long)j * d, d);
                        Offer(heaps[q], tile, 1, firstRow + j, scales, biases, allowed);
                    }
                }
            }
        }
    }

    private static void Offer(TopK heap, float* dots, int count, int firstRow, float[] scales, float[] biases, bool[]? allowed)
    {
        float threshold = heap.Threshold;
        for (int j = 0; j < count; j++)
        {
            int row = firstRow + j;
            float rank = dots[j] * scales[row] + biases[row];
            if (rank < threshold || (allowed is not null && !allowed[row])) continue;
            heap.Add(rank, row);
            threshold = heap.Threshold;
        }
    }
}

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The stored vectors, dense: row i lives at offset (i % ChunkRows) * d of chunk i / ChunkRows, so a scan
/// streams each chunk front to back and growing never copies what is stored (chunks of about 4 MB, not
/// one array per record and not one array that doubles). Beside each row, the two constants of its
/// <see cref="SimilarityMetric"/>. Deleting moves the last row into the hole, so there are no gaps.
/// </summary>
/// <remarks>Not thread-safe; the owning table serialises writers against readers.</remarks>
internal sealed class VectorRows
{
    private const int TargetChunkFloats = 1 << 20;
    private readonly List<float[]> _chunks = [];
    private float[] _scales = new float[16];
    private float[] _biases = new float[16];

    public VectorRows(int dimensions)
    {
        Dimensions = dimensions;
        // A multiple of 4, so the scan's 4-row tiles never straddle two chunks.
        ChunkRows = Math.Max(4, TargetChunkFloats / dimensions / 4 * 4);
    }

    /// <summary>Floats per vector.</summary>
    public int Dimensions { get; }

    /// <summary>Rows per chunk.</summary>
    public int ChunkRows { get; }

    /// <summary>Rows stored.</summary>
    public int Count { get; private set; }

    /// <summary>Chunks in use.</summary>
    public int ChunkCount => (Count + ChunkRows - 1) / ChunkRows;

    /// <summary>Chunk <paramref name="index"/> and how many of its rows are in use.</summary>
    public (float[] Data, int Rows) Chunk(int index) => (_chunks[index], Math.Min(ChunkRows, Count - index * ChunkRows));

    /// <summary>The per-row scale constants, [Count] valid.</summary>
    public float[] Scales => _scales;

    /// <summary>The per-row bias constants, [Count] valid.</summary>
    public float[] Biases => _biases;

    /// <summary>Row <paramref name="row"/>'s vector.</summary>
    public ReadOnlySpan<float> Row(int row) =>
        _chunks[row / ChunkRows].AsSpan(row % ChunkRows * Dimensions, Dimensions);

    /// <summary>Appends a row and returns its index.</summary>
    public int Add(ReadOnlySpan<float> vector, float scale, float bias)
    {
        if (Count == _chunks.Count * ChunkRows) _chunks.Add(new float[ChunkRows * Dimensions]);
        if (Count == _scales.Length)
        {
            Array.Resize(ref _scales, _scales.Length * 2);
            Array.Resize(ref _biases, _biases.Length * 2);
        }
        Set(Count, vector, scale, bias);
        return Count++;
    }

    /// <summary>Overwrites row <paramref name="row"/>.</summary>
    public void Set(int row, ReadOnlySpan<float> vector, float scale, float bias)
    {
        vector.CopyTo(_chunks[row / ChunkRows].AsSpan(row % ChunkRows * Dimensions, Dimensions));
        _scales[row] = scale;
        _biases[row] = bias;
    }

    /// <summary>Removes row <paramref name="row"/> by moving the last row into its place; returns the index the last row had.</summary>
    public int RemoveBySwap(int row)
    {
        int last = Count - 1;
        if (row != last) Set(row, Row(last), _scales[last], _biases[last]);
        Count--;
        // Keep one spare chunk at most, so a delete-then-add at a chunk boundary does not reallocate.
        while (_chunks.Count > ChunkCount + 1) _chunks.RemoveAt(_chunks.Count - 1);
        return last;
    }

    /// <summary>Removes every row.</summary>
    public void Clear()
    {
        _chunks.Clear();
        Count = 0;
    }
}

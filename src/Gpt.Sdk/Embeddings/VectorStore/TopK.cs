namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The k best (rank, row) pairs seen so far for one query: a min-heap on rank, so the weakest kept pair is
/// at the root and a candidate that does not beat it costs one comparison. Ties go to the lower row, so a
/// search is deterministic for a given collection.
/// </summary>
internal sealed class TopK
{
    private readonly float[] _ranks;
    private readonly int[] _rows;

    public TopK(int k)
    {
        _ranks = new float[k];
        _rows = new int[k];
    }

    /// <summary>Pairs held, at most k.</summary>
    public int Count { get; private set; }

    /// <summary>The rank a candidate must beat once the heap is full; -∞ before.</summary>
    public float Threshold => Count == _ranks.Length ? _ranks[0] : float.NegativeInfinity;

    /// <summary>Offers a candidate.</summary>
    public void Add(float rank, int row)
    {
        if (Count < _ranks.Length)
        {
            int i = Count++;
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (!Weaker(rank, row, _ranks[parent], _rows[parent])) break;
                _ranks[i] = _ranks[parent];
                _rows[i] = _rows[parent];
                i = parent;
            }
            _ranks[i] = rank;
            _rows[i] = row;
            return;
        }
        if (!Weaker(_ranks[0], _rows[0], rank, row)) return;
        SiftDown(rank, row);
    }

    /// <summary>Offers every pair another heap holds (merging the per-thread heaps of a parallel scan).</summary>
    public void AddAll(TopK other)
    {
        for (int i = 0; i < other.Count; i++) Add(other._ranks[i], other._rows[i]);
    }

    /// <summary>The held pairs, best first.</summary>
    public (float Rank, int Row)[] ToSortedArray()
    {
        var pairs = new (float Rank, int Row)[Count];
        for (int i = 0; i < Count; i++) pairs[i] = (_ranks[i], _rows[i]);
        Array.Sort(pairs, static (a, b) => a.Rank != b.Rank ? b.Rank.CompareTo(a.Rank) : a.Row.CompareTo(b.Row));
        return pairs;
    }

    // a is weaker than b: a lower rank, or the same rank on a later row.
    private static bool Weaker(float rankA, int rowA, float rankB, int rowB) => rankA < rankB || (rankA == rankB && rowA > rowB);

    private void SiftDown(float rank, int row)
    {
        int i = 0, n = Count;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Weaker(_ranks[child + 1], _rows[child + 1], _ranks[child], _rows[child])) child++;
            if (!Weaker(_ranks[child], _rows[child], rank, row)) break;
            _ranks[i] = _ranks[child];
            _rows[i] = _rows[child];
            i = child;
        }
        _ranks[i] = rank;
        _rows[i] = row;
    }
}

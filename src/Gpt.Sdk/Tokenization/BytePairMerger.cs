namespace Gpt.Sdk.Tokenization;

/// <summary>
/// Applies merges to one pre-tokenized piece: while some adjacent pair can merge, merge the pair with
/// the lowest rank, the leftmost one on ties. That rule (tiktoken's and Hugging Face's) is all of BPE
/// encoding; the two versions below differ only in speed.
/// </summary>
internal static class BytePairMerger
{
    // Up to here a linear scan for the minimum beats a heap; typical pieces are under 10 bytes.
    private const int ScanLimit = 48;

    /// <summary>Merges <paramref name="ids"/> in place and returns how many ids remain.</summary>
    /// <param name="table">The allowed merges.</param>
    /// <param name="ids">The piece's single-byte token ids on entry; the merged ids on return (a prefix).</param>
    /// <param name="maxRank">Only merges ranked below this are used (for rebuilding a merge list).</param>
    public static int Merge(MergeTable table, Span<int> ids, int maxRank = int.MaxValue)
    {
        int n = ids.Length;
        if (n < 2) return n;
        return n <= ScanLimit ? MergeByScan(table, ids, maxRank) : MergeByHeap(table, ids, maxRank);
    }

    private static int MergeByScan(MergeTable table, Span<int> ids, int maxRank)
    {
        int n = ids.Length;
        Span<int> ranks = stackalloc int[n];     // ranks[i]: rank of merging ids[i] with ids[i + 1]
        Span<int> results = stackalloc int[n];
        for (int i = 0; i < n - 1; i++) ranks[i] = RankBelow(table, ids[i], ids[i + 1], maxRank, out results[i]);

        while (true)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i < n - 1; i++)
            {
                if (ranks[i] < best)
                {
                    best = ranks[i];
                    at = i;
                }
            }
            if (at < 0) return n;

            ids[at] = results[at];
            int tail = n - at - 2;
            ids.Slice(at + 2, tail).CopyTo(ids.Slice(at + 1));
            ranks.Slice(at + 2, tail).CopyTo(ranks.Slice(at + 1));
            results.Slice(at + 2, tail).CopyTo(results.Slice(at + 1));
            n--;
            ranks[at] = at + 1 < n ? RankBelow(table, ids[at], ids[at + 1], maxRank, out results[at]) : int.MaxValue;
            if (at > 0) ranks[at - 1] = RankBelow(table, ids[at - 1], ids[at], maxRank, out results[at - 1]);
        }
    }

    // O(n log n) for long pieces (long words, runs of symbols): a doubly linked list of symbols and a
    // heap of candidate merges keyed by (rank, position); entries made stale by earlier merges are skipped.
    private static int MergeByHeap(MergeTable table, Span<int> ids, int maxRank)
    {
        int n = ids.Length;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        var heap = new PriorityQueue<Candidate, long>(n);
        for (int i = 0; i < n - 1; i++) Push(heap, table, ids, i, i + 1, maxRank);

        while (heap.TryDequeue(out var c, out _))
        {
            if (ids[c.Left] != c.LeftId || next[c.Left] != c.Right || ids[c.Right] != c.RightId) continue; // stale
            ids[c.Left] = c.Result;
            ids[c.Right] = -1;
            int after = next[c.Right];
            next[c.Left] = after;
            if (after >= 0) prev[after] = c.Left;
            if (prev[c.Left] >= 0) Push(heap, table, ids, prev[c.Left], c.Left, maxRank);
            if (after >= 0) Push(heap, table, ids, c.Left, after, maxRank);
        }

        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) ids[count++] = ids[i];
        return count;
    }

    private static void Push(PriorityQueue<Candidate, long> heap, MergeTable table, Span<int> ids, int left, int right, int maxRank)
    {
        int rank = RankBelow(table, ids[left], ids[right], maxRank, out int result);
        if (rank != int.MaxValue)
            heap.Enqueue(new Candidate(left, right, ids[left], ids[right], result), ((long)rank << 32) | (uint)left);
    }

    private static int RankBelow(MergeTable table, int left, int right, int maxRank, out int result)
    {
        int rank = table.Rank(left, right, out result);
        return rank < maxRank ? rank : int.MaxValue;
    }

    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int Result);
}

using System.Runtime.InteropServices;
using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// The distinct pieces of a corpus as token sequences, with their counts, and the bookkeeping that
/// makes each merge cost only the words it touches: how often each adjacent pair occurs (weighted by
/// word count), which words contain it, and a max-heap of pairs by count.
/// </summary>
internal sealed class TrainingWords
{
    private readonly int[][] _symbols;   // word -> its tokens (a prefix of the array, _lengths long)
    private readonly int[] _lengths;
    private readonly long[] _counts;
    private readonly Dictionary<long, long> _pairCounts = new();
    private readonly Dictionary<long, List<int>> _wordsWithPair = new();
    private readonly PriorityQueue<long, PairRank> _heap = new();

    public TrainingWords(Dictionary<string, long> pieceCounts, int[] byteToId)
    {
        _symbols = new int[pieceCounts.Count][];
        _lengths = new int[pieceCounts.Count];
        _counts = new long[pieceCounts.Count];
        byte[] bytes = new byte[256];
        int word = 0;
        foreach (var (piece, count) in pieceCounts)
        {
            int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
            if (bytes.Length < max) bytes = new byte[max];
            int n = Encoding.UTF8.GetBytes(piece, bytes);
            var symbols = new int[n];
            for (int i = 0; i < n; i++) symbols[i] = byteToId[bytes[i]];
            _symbols[word] = symbols;
            _lengths[word] = n;
            _counts[word] = count;
            for (int i = 0; i + 1 < n; i++) AddPair(symbols[i], symbols[i + 1], count, word);
            word++;
        }
        foreach (var (pair, count) in _pairCounts) _heap.Enqueue(pair, new PairRank(count, pair));
    }

    /// <summary>
    /// Merges the most frequent pair up to <paramref name="wanted"/> times, appending new tokens to
    /// <paramref name="tokens"/>; returns the merges in the order learned (their ranks).
    /// </summary>
    public List<BpeMerge> LearnMerges(List<byte[]?> tokens, int wanted, int minFrequency,
        IProgress<BpeTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var merges = new List<BpeMerge>(wanted);
        var idsByBytes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++) idsByBytes[ByteLevelAlphabet.ToText(tokens[id]!)] = id;
        int reportEvery = Math.Max(1, wanted / 100);
        int added = 0;

        while (added < wanted && _heap.TryDequeue(out long pair, out PairRank rank))
        {
            long count = _pairCounts.GetValueOrDefault(pair);
            if (count != rank.Count)
            {
                if (count > 0) _heap.Enqueue(pair, new PairRank(count, pair)); // stale: requeue at its true count
                continue;
            }
            if (count < minFrequency) break;
            cancellationToken.ThrowIfCancellationRequested();

            int left = (int)(pair >> 32), right = (int)pair;
            byte[] joined = [.. tokens[left]!, .. tokens[right]!];
            string spelling = ByteLevelAlphabet.ToText(joined);
            // Two different splits can spell the same token; both merges then make that one id.
            if (!idsByBytes.TryGetValue(spelling, out int result))
            {
                result = tokens.Count;
                tokens.Add(joined);
                idsByBytes.Add(spelling, result);
                added++;
            }
            merges.Add(new BpeMerge(left, right, result));
            Apply(left, right, result, pair);

            if (added % reportEvery == 0 || added == wanted)
                progress?.Report(new BpeTrainingProgress(BpeTrainingStage.Merging, added, wanted));
        }
        progress?.Report(new BpeTrainingProgress(BpeTrainingStage.Merging, added, wanted));
        return merges;
    }

    // Replaces every (left, right) in the words that have it by merged, updating pair counts locally:
    // at each site the pairs with the neighbours change from (prev, left) and (right, next) to
    // (prev, merged) and (merged, next).
    private void Apply(int left, int right, int merged, long pair)
    {
        _wordsWithPair.Remove(pair, out var words);
        _pairCounts.Remove(pair);
        var increased = new HashSet<long>();
        foreach (int word in words!)
        {
            int[] s = _symbols[word];
            int n = _lengths[word];
            long count = _counts[word];
            for (int i = 0; i + 1 < n; i++)
            {
                if (s[i] != left || s[i + 1] != right) continue;
                if (i > 0)
                {
                    AddPair(s[i - 1], left, -count, -1);
                    increased.Add(AddPair(s[i - 1], merged, count, word));
                }
                if (i + 2 < n)
                {
                    AddPair(right, s[i + 2], -count, -1);
                    increased.Add(AddPair(merged, s[i + 2], count, word));
                }
                s[i] = merged;
                Array.Copy(s, i + 2, s, i + 1, n - i - 2);
                n--;
            }
            _lengths[word] = n;
        }
        _pairCounts.Remove(pair); // the decrements above may have touched it again when left == right
        foreach (long changed in increased)
            if (_pairCounts.TryGetValue(changed, out long count) && count > 0) _heap.Enqueue(changed, new PairRank(count, changed));
    }

    private long AddPair(int a, int b, long delta, int word)
    {
        long pair = ((long)a << 32) | (uint)b;
        ref long count = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _);
        count += delta;
        if (word >= 0)
        {
            ref List<int>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(_wordsWithPair, pair, out _);
            list ??= new List<int>(2);
            if (list.Count == 0 || list[^1] != word) list.Add(word); // a word's sites come one after another
        }
        return pair;
    }

    /// <summary>Heap order: higher count first, then the lower (left, right) ids, so ties are deterministic.</summary>
    private readonly record struct PairRank(long Count, long Pair) : IComparable<PairRank>
    {
        public int CompareTo(PairRank other) => Count != other.Count ? other.Count.CompareTo(Count) : Pair.CompareTo(other.Pair);
    }
}

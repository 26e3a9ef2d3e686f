using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>The merge loop (scan for short pieces, heap for long ones) against a plain reference.</summary>
public sealed class BytePairMergerTests
{
    [Fact]
    public void Merge_MatchesPlainReference_OnShortAndLongPieces()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 40; trial++)
        {
            // Alphabet 0..5, merges 6.. with random ranks over random pairs of earlier tokens.
            var merges = new Dictionary<(int, int), (int Rank, int Result)>();
            var table = new MergeTable(64);
            int next = 6;
            int[] ranks = Enumerable.Range(0, 30).OrderBy(_ => random.Next()).ToArray();
            for (int i = 0; i < 30; i++)
            {
                var pair = (random.Next(next), random.Next(next));
                if (!merges.TryAdd(pair, (ranks[i], next))) continue;
                table.TryAdd(pair.Item1, pair.Item2, ranks[i], next);
                next++;
            }
            foreach (int length in new[] { 2, 3, 7, 20, 48, 49, 120, 600 })
            {
                int[] symbols = Enumerable.Range(0, length).Select(_ => random.Next(6)).ToArray();
                int[] actual = (int[])symbols.Clone();
                int count = BytePairMerger.Merge(table, actual);
                Assert.Equal(Reference(merges, symbols), actual[..count]);
            }
        }
    }

    [Fact]
    public void Merge_WithMaxRank_UsesOnlyEarlierMerges()
    {
        var table = new MergeTable(4);
        table.TryAdd(0, 1, rank: 0, result: 2);
        table.TryAdd(2, 2, rank: 1, result: 3);
        int[] ids = [0, 1, 0, 1];
        Assert.Equal(1, BytePairMerger.Merge(table, ids));
        Assert.Equal(3, ids[0]);
        ids = [0, 1, 0, 1];
        Assert.Equal(2, BytePairMerger.Merge(table, ids, maxRank: 1));
        Assert.Equal([2, 2], ids[..2]);
    }

    /// <summary>Repeatedly merge the lowest-ranked adjacent pair, the leftmost on ties.</summary>
    private static int[] Reference(Dictionary<(int, int), (int Rank, int Result)> merges, int[] symbols)
    {
        var list = symbols.ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < list.Count; i++)
                if (merges.TryGetValue((list[i], list[i + 1]), out var merge) && merge.Rank < bestRank)
                    (best, bestRank) = (i, merge.Rank);
            if (best < 0) return list.ToArray();
            list[best] = merges[(list[best], list[best + 1])].Result;
            list.RemoveAt(best + 1);
        }
    }
}

using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Sft;

/// <summary>Padded and packed batches, epochs, resumption and the held-out split.</summary>
public sealed class SftBatchSourceTests
{
    private const int T = 16;

    /// <summary>Length of the example in the unpacked row at <paramref name="offset"/>: up to its last non-padding
    /// input (the random examples never use the padding id).</summary>
    private static int ExampleLength(TokenBatch batch, int offset) =>
        batch.Inputs.AsSpan(offset, T).LastIndexOfAnyExcept(SftBatchSource.PaddingId) + 1;

    [Fact]
    public void UnpackedRowsHoldOneExampleEachThenPadding()
    {
        var dataset = RandomDataset(count: 5, maxTokens: T + 1, sequenceLength: T, seed: 3);
        var source = new SftBatchSource(dataset, batchSize: 2, seed: 9);
        Assert.Equal(3, source.BatchesPerEpoch);
        var batch = source.CreateBatch();
        Assert.Null(batch.SegmentStarts);
        var seen = new List<string>();
        for (int b = 0; b < 3; b++)
        {
            source.Next(batch);
            for (int row = 0; row < 2; row++)
            {
                int offset = row * T;
                for (int t = 0; t < T; t++) Assert.Equal(t, batch.Positions[offset + t]);
                int length = ExampleLength(batch, offset);
                for (int t = length; t < T; t++) Assert.Equal(-1, batch.Targets[offset + t]);
                if (length > 0) seen.Add(Triples(batch, offset, offset + length));
            }
        }
        // The last batch of the epoch has one example and a padding row; each example came once.
        Assert.Equal(dataset.Examples.Select(Expected).Order(), seen.Order());
        Assert.Equal(5UL, source.Position);
    }

    [Fact]
    public void APackedEpochHoldsTheSameExamplesAsAnUnpackedOne()
    {
        var dataset = RandomDataset(count: 40, maxTokens: 9, sequenceLength: T, seed: 5);
        var packed = new SftBatchSource(dataset, batchSize: 3, seed: 11, pack: true);
        var unpacked = new SftBatchSource(dataset, batchSize: 3, seed: 11);
        Assert.True(packed.BatchesPerEpoch < unpacked.BatchesPerEpoch);

        var fromPacked = new List<string>();
        var batch = packed.CreateBatch();
        Assert.NotNull(batch.SegmentStarts);
        for (int b = 0; b < packed.BatchesPerEpoch; b++)
        {
            packed.Next(batch);
            int[] starts = batch.SegmentStarts!;
            for (int row = 0; row < batch.BatchSize; row++)
            {
                int offset = row * T;
                int segment = 0;
                for (int t = 0; t <= T; t++)
                {
                    if (t < T)
                    {
                        // Each token points at the first token of its own segment, and its position counts from there.
                        Assert.InRange(starts[offset + t], segment, t);
                        Assert.Equal(t - starts[offset + t], batch.Positions[offset + t]);
                        if (t == 0 || starts[offset + t] == starts[offset + t - 1]) continue;
                        Assert.Equal(t, starts[offset + t]);
                    }
                    // A segment ends at t: an example (which always has a target) or the row's padding.
                    bool isExample = batch.Targets.AsSpan(offset + segment, t - segment).ContainsAnyExcept(-1);
                    if (isExample) fromPacked.Add(Triples(batch, offset + segment, offset + t));
                    else Assert.Equal(T, t);   // padding only at the end of a row
                    segment = t;
                }
            }
        }
        Assert.Equal((ulong)dataset.Count, packed.Position);

        var fromUnpacked = new List<string>();
        var plain = unpacked.CreateBatch();
        for (int b = 0; b < unpacked.BatchesPerEpoch; b++)
        {
            unpacked.Next(plain);
            for (int row = 0; row < plain.BatchSize; row++)
            {
                int offset = row * T;
                int length = ExampleLength(plain, offset);
                if (length > 0) fromUnpacked.Add(Triples(plain, offset, offset + length));
            }
        }

        // Exact per-example (position, input, target) lists: so no target reaches into the next example.
        var expected = dataset.Examples.Select(Expected).Order().ToList();
        Assert.Equal(expected, fromPacked.Order());
        Assert.Equal(expected, fromUnpacked.Order());
        // Same seed, same order: packing only changes where the examples sit.
        Assert.Equal(fromUnpacked, fromPacked);
    }

    [Fact]
    public void PackedBatchesPerEpochIsExactInEveryEpoch()
    {
        var dataset = RandomDataset(count: 25, maxTokens: 12, sequenceLength: T, seed: 8);
        var source = new SftBatchSource(dataset, batchSize: 2, seed: 4, pack: true);
        var batch = source.CreateBatch();
        for (ulong epoch = 0; epoch < 4; epoch++)
        {
            Assert.Equal(epoch, source.Epoch);
            int batches = source.BatchesPerEpoch!.Value;
            Assert.Equal(batches, source.BatchesInEpoch(epoch));
            for (int b = 0; b < batches; b++)
            {
                Assert.Equal(epoch, source.Epoch);   // the epoch is not finished early
                source.Next(batch);
            }
            Assert.Equal((epoch + 1) * (ulong)dataset.Count, source.Position);
        }
    }

    [Fact]
    public void EachEpochHasItsOwnOrderAndTheSeedFixesIt()
    {
        var dataset = RandomDataset(count: 30, maxTokens: 10, sequenceLength: T, seed: 2);
        var first = Epochs(new SftBatchSource(dataset, 30, seed: 1), 2);
        Assert.Equal(first, Epochs(new SftBatchSource(dataset, 30, seed: 1), 2));
        Assert.NotEqual(first[0], first[1]);
        Assert.NotEqual(first[0], Epochs(new SftBatchSource(dataset, 30, seed: 2), 1)[0]);

        static List<int[]> Epochs(SftBatchSource source, int count)
        {
            var inputs = new List<int[]>();
            var batch = source.CreateBatch();
            for (int e = 0; e < count; e++)
            {
                source.Next(batch);
                inputs.Add((int[])batch.Inputs.Clone());
            }
            return inputs;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AResumedSourceContinuesIdentically(bool pack)
    {
        var dataset = RandomDataset(count: 23, maxTokens: 14, sequenceLength: T, seed: 6);
        var original = new SftBatchSource(dataset, batchSize: 4, seed: 21, pack);
        var batch = original.CreateBatch();
        for (int i = 0; i < 7; i++) original.Next(batch);   // past the end of the first epoch
        Assert.True(original.Epoch >= 1);

        var resumed = new SftBatchSource(dataset, batchSize: 4, seed: 21, pack) { Position = original.Position };
        var again = resumed.CreateBatch();
        for (int i = 0; i < 10; i++)
        {
            original.Next(batch);
            resumed.Next(again);
            Assert.Equal(batch.Inputs, again.Inputs);
            Assert.Equal(batch.Targets, again.Targets);
            Assert.Equal(batch.Positions, again.Positions);
            Assert.Equal(batch.SegmentStarts, again.SegmentStarts);
            Assert.Equal(original.Position, resumed.Position);
        }
    }

    [Fact]
    public void ABatchOfTheWrongShapeIsRefused()
    {
        var source = new SftBatchSource(RandomDataset(4, 8, T, 1), batchSize: 2, seed: 1, pack: true);
        var error = Assert.Throws<ArgumentException>(() => source.Next(new TokenBatch(2, T)));
        Assert.Contains("make the batch with CreateBatch()", error.Message);
        Assert.Throws<ArgumentException>(() => source.Next(new TokenBatch(3, T, packed: true)));
    }

    [Fact]
    public void SplitIsSeededDisjointAndComplete()
    {
        var dataset = RandomDataset(count: 20, maxTokens: 8, sequenceLength: T, seed: 7);
        var (train, heldOut) = dataset.Split(0.25, seed: 3);
        Assert.Equal(5, heldOut.Count);
        Assert.Equal(15, train.Count);
        Assert.Equal(dataset.Examples.ToHashSet(), train.Examples.Concat(heldOut.Examples).ToHashSet());
        Assert.Empty(train.Examples.Intersect(heldOut.Examples));
        Assert.Equal(heldOut.Examples, dataset.Split(0.25, seed: 3).HeldOut.Examples);
        Assert.NotEqual(heldOut.Examples, dataset.Split(0.25, seed: 4).HeldOut.Examples);
        // Each side keeps file order.
        var index = dataset.Examples.Select((e, i) => (e, i)).ToDictionary(p => p.e, p => p.i);
        Assert.Equal(heldOut.Examples.Select(e => index[e]).Order(), heldOut.Examples.Select(e => index[e]));

        Assert.Equal(1, dataset.Split(0.001, seed: 1).HeldOut.Count);   // at least one each side
        Assert.Equal(19, dataset.Split(0.999, seed: 1).HeldOut.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Split(0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Split(1, seed: 1));
        var single = RandomDataset(count: 1, maxTokens: 8, sequenceLength: T, seed: 7);
        Assert.Contains("a split needs at least 2", Assert.Throws<InvalidOperationException>(() => single.Split(0.5, 1)).Message);
    }

    [Fact]
    public void HeldOutEvaluationReadsEveryExampleOnce()
    {
        var (_, heldOut) = RandomDataset(count: 50, maxTokens: 10, sequenceLength: T, seed: 12).Split(0.2, seed: 5);
        var source = new SftBatchSource(heldOut, batchSize: 2, seed: 0, pack: true);
        var batch = source.CreateBatch();
        long targets = 0;
        for (int b = 0; b < source.BatchesPerEpoch; b++)
        {
            source.Next(batch);
            targets += batch.CountedTargets;
        }
        Assert.Equal(heldOut.TargetCount, targets);
        Assert.Equal((ulong)heldOut.Count, source.Position);
    }
}

using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Training.Sft;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Distributed;

/// <summary>Each rank's shard of a global batch: disjoint rows of the batch one process with ranks × B rows draws, at the
/// same position, with loss weights that make the ranks' average the global batch's loss.</summary>
public sealed class DataShardingTests
{
    private static readonly GptConfig Config = new() { VocabularySize = 50, ContextLength = 16, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };

    private static void AssertShardsTileTheGlobalBatch(ITokenBatchSource global, ITokenBatchSource[] shards, int batches)
    {
        var whole = global.CreateBatch();
        var parts = shards.Select(s => s.CreateBatch()).ToArray();
        for (int b = 0; b < batches; b++)
        {
            global.Next(whole);
            int n = parts[0].Inputs.Length;
            for (int r = 0; r < shards.Length; r++)
            {
                shards[r].Next(parts[r]);
                Assert.Equal(whole.Inputs.AsSpan(r * n, n).ToArray(), parts[r].Inputs);
                Assert.Equal(whole.Targets.AsSpan(r * n, n).ToArray(), parts[r].Targets);
                Assert.Equal(whole.Positions.AsSpan(r * n, n).ToArray(), parts[r].Positions);
                if (whole.SegmentStarts is { } starts) Assert.Equal(starts.AsSpan(r * n, n).ToArray(), parts[r].SegmentStarts);
                Assert.Equal(global.Position, shards[r].Position);
            }
        }
    }

    [Fact]
    public void CorpusWindowShardsAreTheRowsOfTheGlobalBatch()
    {
        using var data = TokenDataset.FromTokens(Enumerable.Range(0, 500).Select(i => i * 7 % 50).ToArray());
        var local = new TokenWindowSource(data, batchSize: 3, sequenceLength: 8, seed: 5);
        var shards = new[] { local.Shard(0, 2), local.Shard(1, 2) };
        Assert.Equal(3, shards[0].BatchSize);
        AssertShardsTileTheGlobalBatch(new TokenWindowSource(data, batchSize: 6, sequenceLength: 8, seed: 5), shards, batches: 4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SftShardsAreTheRowsOfTheGlobalBatchAcrossEpochs(bool pack)
    {
        var dataset = SftTestData.RandomDataset(count: 11, maxTokens: 7, sequenceLength: 16, seed: 3);
        var local = new SftBatchSource(dataset, batchSize: 2, seed: 9, pack);
        var shards = Enumerable.Range(0, 3).Select(r => local.Shard(r, 3)).ToArray();
        AssertShardsTileTheGlobalBatch(new SftBatchSource(dataset, batchSize: 6, seed: 9, pack), shards, batches: 7);
    }

    [Fact]
    public void AShardIsNotShardedAgainAndAnUnshardableSourceSaysSo()
    {
        using var data = TokenDataset.FromTokens(Enumerable.Range(0, 100).ToArray());
        var shard = new TokenWindowSource(data, 2, 4, seed: 1).Shard(0, 2);
        Assert.Throws<InvalidOperationException>(() => shard.Shard(0, 2));
        var error = Assert.Throws<NotSupportedException>(() => ((ITokenBatchSource)new FixedSource()).Shard(0, 2));
        Assert.Contains(nameof(FixedSource), error.Message);
        var objective = Assert.Throws<NotSupportedException>(() => ((ITrainingObjective)new OpaqueObjective()).ShardTrainingData(1, 2));
        Assert.Contains(nameof(OpaqueObjective), objective.Message);
    }

    // The end of an epoch leaves rank 1 only padding: its weight is 0, rank 0's carries the whole batch, and the average of
    // the ranks' weighted losses and gradients is the loss and gradient of the global batch in one process.
    [Fact]
    public void WeightedShardLossesAverageToTheGlobalBatchLossAndGradient()
    {
        var dataset = SftTestData.RandomDataset(count: 5, maxTokens: 9, sequenceLength: 16, seed: 4);
        using var model = new GptModel(Config, seed: 2);
        using var tape = new Tape(model.Device);
        var context = new TrainingContext(model, null, 0);
        (float Loss, float[] Gradients) Pass(ITrainingObjective objective)
        {
            model.Parameters.ZeroGradients();
            tape.Reset();
            var loss = objective.TrainingLoss(tape, context);
            float value = loss.ToArray()[0];
            tape.Backward(loss);
            var gradients = new float[model.Parameters.Count];
            model.Parameters.Device.Download(model.Parameters.AllGradients, gradients);
            return (value, gradients);
        }

        model.Parameters.AllocateGradients();
        var global = new NextTokenObjective(new SftBatchSource(dataset, 4, seed: 1));
        var ranks = Enumerable.Range(0, 2).Select(r =>
        {
            var objective = new NextTokenObjective(new SftBatchSource(dataset, 2, seed: 1));
            objective.ShardTrainingData(r, 2);
            return objective;
        }).ToArray();
        for (int step = 0; step < 2; step++)   // step 1 is the epoch's last batch: one example, all in rank 0's rows
        {
            var (loss, gradients) = Pass(global);
            var shards = ranks.Select(Pass).ToArray();
            Assert.Equal(loss, (shards[0].Loss + shards[1].Loss) / 2, 5);
            for (int i = 0; i < gradients.Length; i++)
                Assert.Equal(gradients[i], (shards[0].Gradients[i] + shards[1].Gradients[i]) / 2, 5);
            Assert.Equal(global.DataPosition, ranks[1].DataPosition);
            if (step == 1) Assert.Equal(0f, shards[1].Loss);
        }
    }

    private sealed class FixedSource : ITokenBatchSource
    {
        public int BatchSize => 1;

        public int SequenceLength => 2;

        public int? BatchesPerEpoch => 1;

        public ulong Position { get; set; }

        public TokenBatch CreateBatch() => new(1, 2);

        public void Next(TokenBatch batch) => Position++;
    }

    private sealed class OpaqueObjective : ITrainingObjective
    {
        public long TokensPerBatch => 1;

        public ulong DataPosition { get; set; }

        public IEnumerable<ParameterSegment> Segments => [];

        public Tensor TrainingLoss(Tape tape, in TrainingContext context) => throw new NotSupportedException();

        public float Evaluate(Tape tape, in TrainingContext context, int maxBatches) => 0;
    }
}

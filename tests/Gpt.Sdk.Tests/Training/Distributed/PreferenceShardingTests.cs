using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Distributed;

/// <summary>The preference objectives (reward model, DPO) run data-parallel like language modelling: each rank takes whole
/// prompts of the global batch, and the average of the ranks' weighted losses and gradients is the global batch's.</summary>
public sealed class PreferenceShardingTests
{
    private static readonly GptConfig Config = new() { VocabularySize = 50, ContextLength = 16, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };

    // 5 prompts: pairs and ranked lists of 3 (3 pairs each), so ranks' shards hold different numbers of pairs.
    private static PreferenceDataset Data()
    {
        var pairs = new List<TokenizedPreference>();
        for (int g = 0; g < 5; g++)
        {
            ReadOnlySpan<int> prompt = [1 + g, 2 + g];
            if (g % 2 == 0)
            {
                pairs.Add(new TokenizedPreference(prompt, [10 + g, 3], [20 + g, 4], g));
                pairs.Add(new TokenizedPreference(prompt, [10 + g, 3], [30 + g], g));
                pairs.Add(new TokenizedPreference(prompt, [20 + g, 4], [30 + g], g));
            }
            else
            {
                pairs.Add(new TokenizedPreference(prompt, [11, 12, 13], [14 + g], g));
            }
        }
        return new PreferenceDataset(pairs, sequenceLength: 8);
    }

    [Fact]
    public void ShardsAreWholePromptsOfTheGlobalBatchWeightedByTheirPairs()
    {
        var data = Data();
        var global = new PreferenceBatchSource(data, promptsPerBatch: 4, seed: 3);
        var shards = Enumerable.Range(0, 2).Select(r =>
        {
            var source = new PreferenceBatchSource(data, promptsPerBatch: 2, seed: 3);
            source.Shard(r, 2);
            return source;
        }).ToArray();
        for (int step = 0; step < 4; step++)
        {
            var whole = global.NextPairs().ToArray();
            var parts = shards.Select(s => (Pairs: s.NextPairs().ToArray(), s.LossWeight)).ToArray();
            if (parts[1].LossWeight == 0f)
            {
                Assert.Equal(whole, parts[0].Pairs);
                Assert.Equal(2f, parts[0].LossWeight);
            }
            else
            {
                Assert.Equal(whole, parts[0].Pairs.Concat(parts[1].Pairs));
                Assert.Equal(2f, parts[0].LossWeight + parts[1].LossWeight, 5);
                Assert.Equal(2.0 * parts[0].Pairs.Length / whole.Length, parts[0].LossWeight, 5);
            }
            Assert.All(shards, s => Assert.Equal(global.Position, s.Position));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => shards[0].Shard(2, 2));
    }

    [Fact]
    public void RewardModelShardsAverageToTheGlobalBatchLossAndGradient()
    {
        var data = Data();
        using var model = new GptModel(Config, seed: 2);
        using var head = new ScalarHead("score", Config.EmbeddingSize, model.Device, seed: 5);
        AssertShardsAverageToGlobal(model, [head.Parameters], [.. new[] { 4, 2, 2 }.Select(p => new RewardModelObjective(head, data, null, p, seed: 1))]);
    }

    [Fact]
    public void DpoShardsAverageToTheGlobalBatchLossAndGradient()
    {
        var data = Data();
        using var model = new GptModel(Config, seed: 7);
        // The reference is the model as it is when the objectives are made; the policy then moves away from it, so the
        // loss is not log 2 at its symmetric point.
        ITrainingObjective[] objectives = [.. new[] { 4, 2, 2 }.Select(p => DpoObjective.Create(model, data, null, new DpoOptions { Beta = 0.5f }, p, seed: 1))];
        using (var policy = new GptModel(Config, seed: 2))
        {
            var values = new float[policy.Parameters.Count];
            policy.Parameters.CopyValuesTo(values);
            model.Parameters.CopyValuesFrom(values);
        }
        AssertShardsAverageToGlobal(model, [], objectives);
    }

    // Global batch (objective 0): 4 prompts on one process; shards (objectives 1, 2): 2 prompts on each of 2 ranks. The epoch's second batch has one prompt,
    // all on rank 0: rank 1 runs with weight 0.
    private static void AssertShardsAverageToGlobal(GptModel model, ParameterSegment[] heads, ITrainingObjective[] globalAndRanks)
    {
        using var tape = new Tape(model.Device);
        var context = new TrainingContext(model, null, 0);
        ParameterSegment[] segments = [model.Parameters, .. heads];
        foreach (var segment in segments) segment.AllocateGradients();
        (float Loss, float[] Gradients) Pass(ITrainingObjective objective)
        {
            foreach (var segment in segments) segment.ZeroGradients();
            tape.Reset();
            tape.IsTraining = false;
            var loss = objective.TrainingLoss(tape, context);
            float value = loss.ToArray()[0];
            tape.Backward(loss);
            var gradients = new List<float>();
            foreach (var segment in segments)
            {
                var part = new float[segment.Count];
                segment.Device.Download(segment.AllGradients, part);
                gradients.AddRange(part);
            }
            return (value, gradients.ToArray());
        }

        var global = globalAndRanks[0];
        var ranks = globalAndRanks[1..];
        for (int r = 0; r < ranks.Length; r++) ranks[r].ShardTrainingData(r, ranks.Length);
        for (int step = 0; step < 2; step++)
        {
            var (loss, gradients) = Pass(global);
            var shards = ranks.Select(Pass).ToArray();
            Assert.Equal(loss, (shards[0].Loss + shards[1].Loss) / 2, 5);
            float scale = gradients.Max(MathF.Abs);
            Assert.True(scale > 0);
            for (int i = 0; i < gradients.Length; i++)
                Assert.True(MathF.Abs(gradients[i] - (shards[0].Gradients[i] + shards[1].Gradients[i]) / 2) <= 1e-5f * scale,
                    $"gradient {i}: global {gradients[i]}, ranks {shards[0].Gradients[i]} and {shards[1].Gradients[i]}");
            Assert.Equal(global.DataPosition, ranks[1].DataPosition);
            if (step == 1) Assert.Equal(0f, shards[1].Loss);
        }
    }
}

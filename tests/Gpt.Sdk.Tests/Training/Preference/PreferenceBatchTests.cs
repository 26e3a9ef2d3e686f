using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Preference;

/// <summary>The layout both the reward model and DPO read: chosen rows then rejected rows, right-padded, targets on the
/// response tokens only, and each row's last real position.</summary>
public sealed class PreferenceBatchTests
{
    [Fact]
    public void ChosenRowsComeFirstWithTargetsOnResponsesOnly()
    {
        var batch = PreferenceBatch.Create([new TokenizedPreference([1, 2], [3, 4, 5], [6]), new TokenizedPreference([], [7, 8], [9, 10, 11, 12])]);
        Assert.Equal(2, batch.PairCount);
        Assert.Equal(5, batch.SequenceLength);          // the longest prompt + response
        int[][] inputs = [.. batch.Inputs.Chunk(5)];
        int[][] targets = [.. batch.Targets.Chunk(5)];
        Assert.Equal([1, 2, 3, 4, 5], inputs[0]);
        Assert.Equal([7, 8, 0, 0, 0], inputs[1]);
        Assert.Equal([1, 2, 6, 0, 0], inputs[2]);
        Assert.Equal([9, 10, 11, 12, 0], inputs[3]);
        Assert.Equal([-1, 3, 4, 5, -1], targets[0]);
        Assert.Equal([8, -1, -1, -1, -1], targets[1]);   // no prompt: the first response token has no position before it
        Assert.Equal([-1, 6, -1, -1, -1], targets[2]);
        Assert.Equal([10, 11, 12, -1, -1], targets[3]);
        Assert.Equal([4, 6, 12, 18], batch.LastPositions);
        for (int i = 0; i < batch.Targets.Length; i++) Assert.Equal(batch.Targets[i] >= 0 ? 1f : 0f, batch.ResponseMask[i]);
    }
}

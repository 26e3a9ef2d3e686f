using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Tests.Generation;

public class LogitProcessorTests
{
    private static float[] LogitsOf(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    private static int[] Kept(float[] logits) => Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToArray();

    [Fact]
    public void LogitBiasAddsToTheListedTokens()
    {
        float[] logits = [1, 2, 3];
        LogitProcessors.ApplyLogitBias(logits, new Dictionary<int, float> { [0] = 5, [2] = float.NegativeInfinity });
        Assert.Equal([6f, 2f, float.NegativeInfinity], logits);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitProcessors.ApplyLogitBias(logits, new Dictionary<int, float> { [3] = 1 }));
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits()
    {
        float[] logits = [2, -2, 2, -2];
        LogitProcessors.ApplyRepetitionPenalty(logits, [0, 1], 2f);
        Assert.Equal([1f, -4f, 2f, -2f], logits);
    }

    [Fact]
    public void FrequencyAndPresencePenaltiesCountOccurrences()
    {
        float[] logits = [0, 0, 0, 0];
        LogitProcessors.ApplyFrequencyAndPresencePenalties(logits, [2, 0], [3, 1], frequency: 0.5f, presence: 0.25f);
        Assert.Equal([-0.75f, 0f, -1.75f, 0f], logits);
    }

    [Fact]
    public void TemperatureDividesAndRefusesNonPositive()
    {
        float[] logits = [1, -3];
        LogitProcessors.ApplyTemperature(logits, 0.5f);
        Assert.Equal([2f, -6f], logits);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitProcessors.ApplyTemperature(logits, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitProcessors.ApplyTemperature(logits, float.NaN));
    }

    [Fact]
    public void TopKKeepsTheKLargestWithTiesToLowerIds()
    {
        float[] logits = [1, 5, 3, 5, 3, 0];
        LogitProcessors.ApplyTopK(logits, 3);
        Assert.Equal([1, 2, 3], Kept(logits));

        float[] all = [1, 2];
        LogitProcessors.ApplyTopK(all, 0);
        Assert.Equal([0, 1], Kept(all));
    }

    // Acceptance: top-p keeps the smallest set of most likely tokens whose probability reaches p.
    [Theory]
    [InlineData(0.49, new[] { 2 })]         // 0.5 alone
    [InlineData(0.51, new[] { 0, 2 })]      // 0.5 + 0.3
    [InlineData(0.79, new[] { 0, 2 })]
    [InlineData(0.81, new[] { 0, 2, 3 })]   // + 0.15
    [InlineData(0.96, new[] { 0, 1, 2, 3 })]
    [InlineData(0.01, new[] { 2 })]
    public void TopPKeepsTheSmallestSetReachingP(double p, int[] expected)
    {
        float[] logits = LogitsOf(0.3, 0.05, 0.5, 0.15);
        LogitProcessors.ApplyTopP(logits, (float)p);
        Assert.Equal(expected, Kept(logits));
    }

    [Fact]
    public void TopPWorksOnUnnormalisedAndAlreadyTruncatedLogits()
    {
        // Shifted logits, an already-removed token: probabilities are of the remaining ones (0.6, 0.3, 0.1).
        float[] logits = [MathF.Log(0.6f) + 40, float.NegativeInfinity, MathF.Log(0.1f) + 40, MathF.Log(0.3f) + 40];
        LogitProcessors.ApplyTopP(logits, 0.85f);
        Assert.Equal([0, 3], Kept(logits));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitProcessors.ApplyTopP(logits, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitProcessors.ApplyTopP(logits, 1.01f));
    }

    [Fact]
    public void TopPOverALargeFlatVocabularyKeepsAboutPOfIt()
    {
        var logits = new float[10_000];
        LogitProcessors.ApplyTopP(logits, 0.25f);
        Assert.Equal(Enumerable.Range(0, 2500).ToArray(), Kept(logits)); // ties in id order
    }

    [Fact]
    public void MinPKeepsTokensAtLeastThatFractionOfTheMostLikely()
    {
        float[] logits = LogitsOf(0.4, 0.1, 0.2, 0.3);
        LogitProcessors.ApplyMinP(logits, 0.45f); // keeps p >= 0.18
        Assert.Equal([0, 2, 3], Kept(logits));

        float[] only = LogitsOf(0.4, 0.1, 0.4, 0.1);
        LogitProcessors.ApplyMinP(only, 1f);
        Assert.Equal([0, 2], Kept(only));
    }

    [Fact]
    public void ArgMaxTakesTheLowestIdOnTies() => Assert.Equal(1, LogitProcessors.ArgMax([0f, 3f, 3f, -1f]));
}

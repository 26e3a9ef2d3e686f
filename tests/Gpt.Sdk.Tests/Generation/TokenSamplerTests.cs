using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Tests.Generation;

public class TokenSamplerTests
{
    private static readonly float[] Descending = [5f, 4.5f, 4f, 0f, 0f];

    private static int[] Greedy(GenerationOptions options, int[] prompt, int steps)
    {
        var sampler = new TokenSampler(options with { Temperature = 0 }, Descending.Length, prompt, seed: 0);
        return Enumerable.Range(0, steps).Select(_ => sampler.Next(Descending)).ToArray();
    }

    // Acceptance: penalties count the right tokens. Frequency counts each earlier pick in the completion:
    // 5 − 0.3 = 4.7 still wins, 5 − 0.6 = 4.4 loses to 4.5.
    [Fact]
    public void FrequencyPenaltyCountsEveryOccurrenceInTheCompletionOnly()
    {
        Assert.Equal([0, 0, 1, 0], Greedy(new GenerationOptions { FrequencyPenalty = 0.3f }, prompt: [0, 0, 0], steps: 4));
    }

    [Fact]
    public void PresencePenaltyCountsATokenOnce()
    {
        // 0 → 4.4 after its first pick, 1 → 3.9 after its first: then 2 (4.0) is below 0 (4.4) again.
        Assert.Equal([0, 1, 0, 0], Greedy(new GenerationOptions { PresencePenalty = 0.6f }, prompt: [], steps: 4));
    }

    [Fact]
    public void RepetitionPenaltyCountsThePromptToo()
    {
        // Token 0 is in the prompt: 5 / 1.2 = 4.17 < 4.5, so 1 comes first; then 1 is seen too (3.75) and 0 wins.
        Assert.Equal([1, 0, 0], Greedy(new GenerationOptions { RepetitionPenalty = 1.2f }, prompt: [0], steps: 3));
        Assert.Equal([0, 0], Greedy(new GenerationOptions { RepetitionPenalty = 1f }, prompt: [0], steps: 2));
    }

    [Fact]
    public void LogitBiasComesBeforeGreedyChoice()
    {
        Assert.Equal([3], Greedy(new GenerationOptions { LogitBias = new Dictionary<int, float> { [3] = 6f } }, [], 1));
        Assert.Throws<ArgumentException>(() => new TokenSampler(new GenerationOptions { LogitBias = new Dictionary<int, float> { [9] = 1 } }, 5, [], 0));
    }

    // Acceptance: the same seed gives the same choices; another seed gives others.
    [Fact]
    public void SameSeedSameDraws()
    {
        var logits = new float[50];
        var options = new GenerationOptions { Temperature = 1f };
        int[] Draws(ulong seed)
        {
            var sampler = new TokenSampler(options, logits.Length, [], seed);
            return Enumerable.Range(0, 40).Select(_ => sampler.Next(logits)).ToArray();
        }
        Assert.Equal(Draws(42), Draws(42));
        Assert.NotEqual(Draws(42), Draws(43));
    }

    [Fact]
    public void DrawsFollowTheProcessedDistribution()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05; top-k 3 leaves 0.5/0.95, 0.3/0.95, 0.15/0.95.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var sampler = new TokenSampler(new GenerationOptions { TopK = 3 }, 4, [], seed: 7);
        var counts = new int[4];
        const int draws = 20_000;
        for (int i = 0; i < draws; i++) counts[sampler.Next(logits)]++;
        Assert.Equal(0, counts[3]);
        Assert.InRange(counts[0] / (double)draws, 0.5 / 0.95 - 0.015, 0.5 / 0.95 + 0.015);
        Assert.InRange(counts[1] / (double)draws, 0.3 / 0.95 - 0.015, 0.3 / 0.95 + 0.015);
        Assert.InRange(counts[2] / (double)draws, 0.15 / 0.95 - 0.015, 0.15 / 0.95 + 0.015);
    }

    [Fact]
    public void LowTemperatureConcentratesOnTheMostLikely()
    {
        float[] logits = [1f, 0.9f, 0f];
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 0.01f }, 3, [], seed: 3);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(0, sampler.Next(logits)));
    }

    [Fact]
    public void AllTokensBannedIsAClearError()
    {
        var ban = Enumerable.Range(0, 3).ToDictionary(i => i, _ => float.NegativeInfinity);
        var sampler = new TokenSampler(new GenerationOptions { LogitBias = ban }, 3, [], 0);
        var error = Assert.Throws<InvalidOperationException>(() => sampler.Next([1f, 2f, 3f]));
        Assert.Contains("every token was removed", error.Message);
    }
}

using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Generation;

public class KvCacheTests
{
    // Acceptance: cached decoding equals full recomputation (logits within 1e-5) over 200 tokens.
    [Fact]
    public void CachedDecodingMatchesFullRecomputationOver200Tokens()
    {
        var config = GenerationModels.LongContext();
        using var model = new GptModel(config, seed: 5);
        int[] sequence = TinyModels.RandomIds(208, config.VocabularySize, 1);
        const int prompt = 8;
        using var cache = new KvCache(config, model.Device, 1, config.ContextLength);
        using var tape = new Tape(model.Device);

        float[] cached = model.ForwardCached(tape, cache, sequence.AsSpan(0, prompt)).ToArray();
        for (int n = prompt; ; n++)
        {
            float[] full = GenerationModels.LastLogits(model, sequence[..n]);
            AssertClose(full, cached, 1e-5f, $"after {n} tokens");
            if (n == sequence.Length) break;
            tape.Reset();
            cached = model.ForwardCached(tape, cache, sequence.AsSpan(n, 1)).ToArray();
            Assert.Equal(n + 1, cache.Length(0));
        }
    }

    [Fact]
    public void PrefillWithAllPositionsMatchesForward()
    {
        var config = GenerationModels.LongContext();
        using var model = new GptModel(config, seed: 6);
        int[] ids = TinyModels.RandomIds(2 * 37, config.VocabularySize, 2);
        using var tape = new Tape(model.Device);
        float[] expected;
        using (tape.NoGrad()) expected = model.Forward(tape, ids, 2, 37).ToArray();
        using var cache = new KvCache(config, model.Device, 2, 50);
        var logits = model.ForwardCached(tape, cache, ids, allPositions: true);
        Assert.Equal(new Shape(2, 37, config.VocabularySize), logits.Shape);
        AssertClose(expected, logits.ToArray(), 1e-5f, "prefill");
    }

    // Rows of one cache are independent sequences of different lengths: a batched step equals each row alone.
    [Fact]
    public void RaggedRowsMatchSeparateCaches()
    {
        var config = GenerationModels.LongContext();
        using var model = new GptModel(config, seed: 8);
        int[][] prompts = [TinyModels.RandomIds(5, 37, 3), TinyModels.RandomIds(17, 37, 4), TinyModels.RandomIds(1, 37, 5)];
        using var tape = new Tape(model.Device);
        using var batch = new KvCache(config, model.Device, 3, 40);
        for (int r = 0; r < 3; r++) model.ForwardCached(tape, batch, r, 1, prompts[r]);
        int[] next = [3, 30, 7];
        float[] batched = model.ForwardCached(tape, batch, next).ToArray();
        for (int r = 0; r < 3; r++)
        {
            float[] alone = GenerationModels.LastLogits(model, [.. prompts[r], next[r]]);
            AssertClose(alone, batched.AsSpan(r * 37, 37).ToArray(), 1e-5f, $"row {r}");
            Assert.Equal(prompts[r].Length + 1, batch.Length(r));
        }
    }

    // A prefix copied from another cache, or kept by rewinding, continues exactly like a fresh computation.
    [Fact]
    public void CopiedAndRewoundPrefixesContinueLikeFreshOnes()
    {
        var config = GenerationModels.LongContext();
        using var model = new GptModel(config, seed: 9);
        int[] shared = TinyModels.RandomIds(12, 37, 6);
        using var tape = new Tape(model.Device);
        using var source = new KvCache(config, model.Device, 1, 30);
        model.ForwardCached(tape, source, [.. shared, 1, 2, 3]);

        using var copy = new KvCache(config, model.Device, 2, 20);
        copy.CopyPrefix(source, 0, 1, shared.Length);
        Assert.Equal(shared.Length, copy.Length(1));
        float[] continued = model.ForwardCached(tape, copy, 1, 1, [4, 5]).ToArray();
        AssertClose(GenerationModels.LastLogits(model, [.. shared, 4, 5]), continued, 1e-5f, "copied");

        source.Truncate(0, shared.Length);
        float[] rewound = model.ForwardCached(tape, source, [4, 5]).ToArray();
        AssertClose(GenerationModels.LastLogits(model, [.. shared, 4, 5]), rewound, 1e-5f, "rewound");
    }

    [Fact]
    public void BadUseIsRefused()
    {
        var config = GenerationModels.LongContext();
        using var model = new GptModel(config, seed: 1);
        using var tape = new Tape(model.Device);
        using var cache = new KvCache(config, model.Device, 1, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(config, model.Device, 1, config.ContextLength + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(config, model.Device, 0, 4));
        model.ForwardCached(tape, cache, [1, 2, 3]);
        var full = Assert.Throws<ArgumentException>(() => model.ForwardCached(tape, cache, [1, 2]));
        Assert.Contains("do not fit", full.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardCached(tape, cache, [99]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Truncate(0, 4));
        using var other = new GptModel(config with { LayerCount = 1 }, seed: 1);
        Assert.Throws<ArgumentException>(() => other.ForwardCached(tape, cache, [1]));
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"{where}: logit {i} is {actual[i]:R}, expected {expected[i]:R}");
    }
}

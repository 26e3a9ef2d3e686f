using Gpt.Kernels.Random;

namespace Gpt.Sdk.Generation;

/// <summary>Chooses a token from one row of logits: temperature, then top-k, then a seeded draw
/// (or the arg-max when the temperature is 0).</summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly float[] _probabilities;
    private readonly int[] _order;
    private CounterRng _rng;

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabularySize"/> tokens.</summary>
    /// <param name="options">Sampling settings; validated.</param>
    /// <param name="vocabularySize">Logits per row.</param>
    public TokenSampler(SamplingOptions options, int vocabularySize)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        _probabilities = new float[vocabularySize];
        _order = new int[vocabularySize];
        _rng = new CounterRng(options.Seed);
    }

    /// <summary>Picks the next token.</summary>
    /// <param name="logits">One score per vocabulary entry.</param>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _probabilities.Length)
            throw new ArgumentException($"expected {_probabilities.Length} logits, got {logits.Length}.", nameof(logits));
        if (_options.Temperature == 0) return ArgMax(logits);

        // Candidates: all tokens, or the k best (ties broken by lower id for determinism).
        int count = logits.Length;
        for (int i = 0; i < count; i++) _order[i] = i;
        int k = _options.TopK > 0 && _options.TopK < count ? _options.TopK : count;
        if (k < count)
        {
            var scores = logits.ToArray();
            Array.Sort(_order, (a, b) => scores[b] != scores[a] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        }

        float max = float.NegativeInfinity;
        for (int i = 0; i < k; i++) max = Math.Max(max, logits[_order[i]]);
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            float p = MathF.Exp((logits[_order[i]] - max) / _options.Temperature);
            _probabilities[i] = p;
            sum += p;
        }

        double target = _rng.NextDouble() * sum, running = 0;
        for (int i = 0; i < k; i++)
        {
            running += _probabilities[i];
            if (target < running) return _order[i];
        }

        return _order[k - 1];
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}

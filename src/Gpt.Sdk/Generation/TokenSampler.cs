using Gpt.Kernels.Random;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Chooses the tokens of one completion: each call runs the <see cref="LogitProcessors"/> in the order
/// of <see cref="GenerationOptions"/> on a copy of the logits, then picks greedily (temperature 0) or
/// draws from a counter-based RNG, so equal seeds give equal choices. It remembers what it chose, for the
/// penalties. One per completion; not thread-safe.
/// </summary>
public sealed class TokenSampler
{
    private readonly GenerationOptions _options;
    private readonly float[] _work;
    private readonly int[] _completionCounts;     // token → occurrences in the completion
    private readonly bool[] _seen;                // token → in the prompt or the completion
    private readonly List<int> _completionTokens = []; // distinct, in order of first occurrence
    private readonly List<int> _seenTokens = [];
    private int[] _countsScratch = [];
    private CounterRng _rng;

    /// <summary>Creates the sampler of one completion.</summary>
    /// <param name="options">The options; validated.</param>
    /// <param name="vocabularySize">Logits per row (the model's vocabulary).</param>
    /// <param name="promptTokens">The prompt, which the repetition penalty counts as already seen.</param>
    /// <param name="seed">Seed of this completion's draws.</param>
    public TokenSampler(GenerationOptions options, int vocabularySize, ReadOnlySpan<int> promptTokens, ulong seed)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        if (options.LogitBias is not null)
            foreach (int id in options.LogitBias.Keys)
                if (id >= vocabularySize)
                    throw new ArgumentException($"LogitBias names token {id}, outside the model's vocabulary of {vocabularySize}.", nameof(options));
        _work = new float[vocabularySize];
        _completionCounts = new int[vocabularySize];
        _seen = new bool[vocabularySize];
        foreach (int id in promptTokens) See(id);
        _rng = new CounterRng(seed);
    }

    /// <summary>Picks the next token from one row of raw logits (left unchanged) and remembers it.</summary>
    /// <param name="logits">The model's V logits for the next position.</param>
    public int Next(ReadOnlySpan<float> logits)
    {
        if (logits.Length != _work.Length)
            throw new ArgumentException($"expected {_work.Length} logits, got {logits.Length}.", nameof(logits));
        Span<float> x = _work;
        logits.CopyTo(x);
        if (_options.LogitBias is { Count: > 0 } bias) LogitProcessors.ApplyLogitBias(x, bias);
        LogitProcessors.ApplyRepetitionPenalty(x, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_seenTokens), _options.RepetitionPenalty);
        if (_options.FrequencyPenalty != 0 || _options.PresencePenalty != 0)
        {
            if (_countsScratch.Length < _completionTokens.Count) _countsScratch = new int[Math.Max(16, 2 * _completionTokens.Count)];
            for (int i = 0; i < _completionTokens.Count; i++) _countsScratch[i] = _completionCounts[_completionTokens[i]];
            LogitProcessors.ApplyFrequencyAndPresencePenalties(x, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_completionTokens),
                _countsScratch.AsSpan(0, _completionTokens.Count), _options.FrequencyPenalty, _options.PresencePenalty);
        }

        int choice;
        if (_options.Temperature == 0) choice = LogitProcessors.ArgMax(x);
        else
        {
            LogitProcessors.ApplyTemperature(x, _options.Temperature);
            LogitProcessors.ApplyTopK(x, _options.TopK);
            LogitProcessors.ApplyTopP(x, _options.TopP);
            LogitProcessors.ApplyMinP(x, _options.MinP);
            choice = Draw(x, _rng.NextDouble());
        }

        if (_completionCounts[choice]++ == 0) _completionTokens.Add(choice);
        See(choice);
        return choice;
    }

    /// <summary>Draws a token with probability softmax(logits): the first id whose running sum of
    /// exp(logit − max) passes <paramref name="uniform"/> × the total.</summary>
    /// <param name="logits">Processed logits; at least one finite.</param>
    /// <param name="uniform">A uniform draw in [0, 1).</param>
    internal static int Draw(ReadOnlySpan<float> logits, double uniform)
    {
        float max = LogitProcessors.Max(logits);
        if (float.IsNegativeInfinity(max) || float.IsNaN(max))
            throw new InvalidOperationException("every token was removed (all logits are -infinity); loosen the logit bias or the sampling options.");
        double total = 0;
        foreach (float v in logits) total += Math.Exp(v - max);
        double target = uniform * total, running = 0;
        int last = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNegativeInfinity(logits[i])) continue;
            running += Math.Exp(logits[i] - max);
            last = i;
            if (target < running) return i;
        }
        return last; // rounding left the target at the very end
    }

    private void See(int id)
    {
        if ((uint)id >= (uint)_seen.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is outside the vocabulary of {_seen.Length}.");
        if (_seen[id]) return;
        _seen[id] = true;
        _seenTokens.Add(id);
    }
}

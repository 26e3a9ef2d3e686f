using System.Buffers;

namespace Gpt.Sdk.Generation;

/// <summary>
/// The steps that turn a row of logits into a distribution to sample from, each in place on one row of
/// V logits. A token a step removes gets <see cref="float.NegativeInfinity"/>, so later steps and the
/// draw ignore it. <see cref="TokenSampler"/> applies them in the order listed in
/// <see cref="GenerationOptions"/>; each is public so it can be tested and reused on its own.
/// </summary>
public static class LogitProcessors
{
    /// <summary>Adds <paramref name="bias"/>[id] to the logit of each listed token id.</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="bias">Token id → value added (−∞ bans the token).</param>
    public static void ApplyLogitBias(Span<float> logits, IReadOnlyDictionary<int, float> bias)
    {
        ArgumentNullException.ThrowIfNull(bias);
        foreach (var (id, value) in bias)
        {
            if ((uint)id >= (uint)logits.Length)
                throw new ArgumentOutOfRangeException(nameof(bias), id, $"logit bias for token {id}, outside the vocabulary of {logits.Length}.");
            logits[id] += value;
        }
    }

    /// <summary>CTRL's repetition penalty: for each listed token, a positive logit is divided by
    /// <paramref name="penalty"/> and a negative one multiplied by it (so above 1 always makes it less likely).</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="tokens">The distinct tokens seen so far (prompt and completion); each is penalised once.</param>
    /// <param name="penalty">Above 1 discourages, below 1 encourages, 1 is off.</param>
    public static void ApplyRepetitionPenalty(Span<float> logits, ReadOnlySpan<int> tokens, float penalty)
    {
        if (penalty == 1f) return;
        foreach (int id in tokens)
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
    }

    /// <summary>OpenAI's penalties: logit −= count × <paramref name="frequency"/> + <paramref name="presence"/>
    /// for each token that occurs <c>count</c> &gt; 0 times in the completion so far.</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="tokens">The distinct tokens of the completion.</param>
    /// <param name="counts">How often each of <paramref name="tokens"/> occurs, same order.</param>
    /// <param name="frequency">Penalty per occurrence.</param>
    /// <param name="presence">Penalty for occurring at all.</param>
    public static void ApplyFrequencyAndPresencePenalties(Span<float> logits, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts,
        float frequency, float presence)
    {
        if (counts.Length != tokens.Length)
            throw new ArgumentException($"{counts.Length} counts for {tokens.Length} tokens; give one count per token.", nameof(counts));
        for (int i = 0; i < tokens.Length; i++)
            if (counts[i] > 0) logits[tokens[i]] -= counts[i] * frequency + presence;
    }

    /// <summary>Divides every logit by <paramref name="temperature"/> (&gt; 0).</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="temperature">Positive and finite; 1 leaves the logits as they are.</param>
    public static void ApplyTemperature(Span<float> logits, float temperature)
    {
        if (!(temperature > 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive and finite here; 0 (greedy) skips sampling altogether.");
        if (temperature == 1f) return;
        float inverse = 1f / temperature;
        for (int i = 0; i < logits.Length; i++) logits[i] *= inverse;
    }

    /// <summary>Keeps the <paramref name="k"/> largest logits (ties go to the lower id) and removes the rest.</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="k">Tokens to keep; 0, or k ≥ V, keeps all.</param>
    public static void ApplyTopK(Span<float> logits, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0 || k >= logits.Length) return;
        float[] scratch = ArrayPool<float>.Shared.Rent(logits.Length);
        try
        {
            logits.CopyTo(scratch);
            float kth = KthLargest(scratch.AsSpan(0, logits.Length), k);
            int above = 0;
            foreach (float x in logits) if (x > kth) above++;
            int tiesKept = k - above; // ties at the threshold: the lowest ids win
            for (int i = 0; i < logits.Length; i++)
            {
                if (logits[i] > kth) continue;
                if (logits[i] == kth && tiesKept > 0) tiesKept--;
                else logits[i] = float.NegativeInfinity;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities
    /// (softmax of these logits) sum to at least <paramref name="p"/>, removing the rest. Ties in
    /// probability are taken in id order.</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="p">In (0, 1]; 1 keeps all.</param>
    public static void ApplyTopP(Span<float> logits, float p)
    {
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "top-p must be in (0, 1].");
        if (p == 1f) return;
        float max = Max(logits);
        if (float.IsNegativeInfinity(max)) return;
        double total = 0;
        foreach (float x in logits) total += Math.Exp(x - max);

        // Tokens below epsilon hold less than V·epsilon = 1 − p of the mass together, so the ones at or above
        // it already reach p: the nucleus is among them, and only they need sorting.
        double epsilon = (1 - p) / logits.Length * total;
        var candidates = new List<(double Weight, int Id)>();
        for (int i = 0; i < logits.Length; i++)
        {
            double weight = Math.Exp(logits[i] - max);
            if (weight >= epsilon && weight > 0) candidates.Add((weight, i));
        }
        candidates.Sort((a, b) => a.Weight != b.Weight ? b.Weight.CompareTo(a.Weight) : a.Id.CompareTo(b.Id));

        var keep = new HashSet<int>();
        double target = p * total, sum = 0;
        foreach (var (weight, id) in candidates)
        {
            keep.Add(id);
            sum += weight;
            if (sum >= target) break;
        }
        for (int i = 0; i < logits.Length; i++)
            if (!keep.Contains(i)) logits[i] = float.NegativeInfinity;
    }

    /// <summary>Min-p: removes every token less than <paramref name="minP"/> times as likely as the most likely one.</summary>
    /// <param name="logits">One row of V logits.</param>
    /// <param name="minP">In [0, 1]; 0 keeps all, 1 keeps only the most likely token(s).</param>
    public static void ApplyMinP(Span<float> logits, float minP)
    {
        if (!(minP >= 0 && minP <= 1)) throw new ArgumentOutOfRangeException(nameof(minP), minP, "min-p must be in [0, 1].");
        if (minP == 0) return;
        float max = Max(logits);
        if (float.IsNegativeInfinity(max)) return;
        // p_i / p_max = exp(l_i − l_max) ≥ minP  ⇔  l_i ≥ l_max + ln(minP)
        float threshold = max + MathF.Log(minP);
        for (int i = 0; i < logits.Length; i++)
            if (logits[i] < threshold) logits[i] = float.NegativeInfinity;
    }

    /// <summary>The id of the largest logit; the lowest such id on ties.</summary>
    /// <param name="logits">One row of logits, not empty.</param>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("no logits to choose from.", nameof(logits));
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    internal static float Max(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float x in logits) if (x > max) max = x;
        return max;
    }

    // Quickselect (Hoare partition, middle pivot): the k-th largest value; reorders values.
    private static float KthLargest(Span<float> values, int k)
    {
        int lo = 0, hi = values.Length - 1, target = k - 1;
        while (lo < hi)
        {
            float pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] > pivot) i++;
                while (values[j] < pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return values[target];
        }
        return values[target];
    }
}

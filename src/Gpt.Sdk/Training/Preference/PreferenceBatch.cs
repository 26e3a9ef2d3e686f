namespace Gpt.Sdk.Training;

/// <summary>
/// Preference pairs laid out for one forward pass: 2N rows of T tokens, the N chosen sequences (prompt + chosen) first,
/// then the N rejected ones in the same order, right-padded to the longest. Causal attention means padding after a
/// sequence never changes its positions, so no attention mask is needed. A reward model reads each row's
/// <see cref="LastPositions"/>; DPO sums the log-probabilities of the <see cref="Targets"/> that are not −1 (the response
/// tokens, each predicted from the position before it).
/// </summary>
internal sealed class PreferenceBatch
{
    private PreferenceBatch(int pairs, int sequenceLength)
    {
        PairCount = pairs;
        SequenceLength = sequenceLength;
        Inputs = new int[2 * pairs * sequenceLength];
        Targets = new int[Inputs.Length];
        ResponseMask = new float[Inputs.Length];
        LastPositions = new int[2 * pairs];
    }

    /// <summary>Pairs (N); the batch has 2N rows.</summary>
    public int PairCount { get; }

    /// <summary>Rows (2N).</summary>
    public int Rows => 2 * PairCount;

    /// <summary>Tokens per row (T): the longest prompt + response of the batch.</summary>
    public int SequenceLength { get; }

    /// <summary>Input ids, 2N×T row-major; padding is id 0 (never read by a real position).</summary>
    public int[] Inputs { get; }

    /// <summary>Next-token targets, 2N×T: the response token after each position that predicts one, −1 elsewhere.</summary>
    public int[] Targets { get; }

    /// <summary>1 where <see cref="Targets"/> is a response token, 0 elsewhere (2N×T): the weights of a per-sequence sum.</summary>
    public float[] ResponseMask { get; }

    /// <summary>Per row, the flat position r·T + t of its last real token (the end token when the tokenizer has one).</summary>
    public int[] LastPositions { get; }

    /// <summary>Lays out <paramref name="pairs"/>.</summary>
    /// <param name="pairs">At least one pair.</param>
    public static PreferenceBatch Create(IReadOnlyList<TokenizedPreference> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("a preference batch needs at least one pair.", nameof(pairs));
        int length = 0;
        foreach (var pair in pairs) length = Math.Max(length, pair.Length);
        var batch = new PreferenceBatch(pairs.Count, length);
        Array.Fill(batch.Targets, -1);
        for (int i = 0; i < pairs.Count; i++)
        {
            batch.Fill(i, pairs[i].Prompt, pairs[i].Chosen);
            batch.Fill(pairs.Count + i, pairs[i].Prompt, pairs[i].Rejected);
        }
        return batch;
    }

    private void Fill(int row, int[] prompt, int[] response)
    {
        int t = SequenceLength, start = row * t, n = prompt.Length + response.Length;
        prompt.CopyTo(Inputs, start);
        response.CopyTo(Inputs, start + prompt.Length);
        // Position i predicts token i + 1; the response's tokens are predicted from positions prompt−1 .. n−2.
        for (int i = Math.Max(prompt.Length - 1, 0); i < n - 1; i++)
        {
            Targets[start + i] = Inputs[start + i + 1];
            ResponseMask[start + i] = 1f;
        }
        LastPositions[row] = start + n - 1;
    }
}

namespace Gpt.Sdk.Training;

/// <summary>
/// One fine-tuning example as tokens x0 .. x(n−1) with a loss mask m. It trains n − 1 pairs: input xi,
/// target x(i+1) when m[i+1], no loss (−1) otherwise. m[0] is never used: the first token is nobody's target.
/// </summary>
public sealed class TokenizedExample
{
    /// <summary>Creates an example from copies of <paramref name="tokens"/> and <paramref name="lossMask"/>.</summary>
    /// <param name="tokens">Token ids, at least two.</param>
    /// <param name="lossMask">Per token, true when the token is a target that carries loss; as long as <paramref name="tokens"/>.</param>
    public TokenizedExample(ReadOnlySpan<int> tokens, ReadOnlySpan<bool> lossMask)
        : this(tokens.ToArray(), lossMask.ToArray())
    {
    }

    // Takes ownership of the arrays: the loader's path, which needs no copy.
    internal TokenizedExample(int[] tokens, bool[] lossMask)
    {
        if (tokens.Length != lossMask.Length)
            throw new ArgumentException($"the loss mask has {lossMask.Length} entries for {tokens.Length} tokens; give one per token.", nameof(lossMask));
        if (tokens.Length < 2)
            throw new ArgumentException($"an example needs at least 2 tokens (one input and its target), got {tokens.Length}.", nameof(tokens));
        foreach (int id in tokens)
            if (id < 0) throw new ArgumentException($"token id {id} is negative; ids are in [0, vocabulary size).", nameof(tokens));
        Tokens = tokens;
        LossMask = lossMask;
        for (int i = 1; i < lossMask.Length; i++)
            if (lossMask[i]) TargetCount++;
    }

    /// <summary>The token ids. Shared with the dataset: do not modify.</summary>
    public int[] Tokens { get; }

    /// <summary>Per token, true when it is a target that carries loss. Shared with the dataset: do not modify.</summary>
    public bool[] LossMask { get; }

    /// <summary>Number of (input, target) pairs the example trains, n − 1: the row positions it takes.</summary>
    public int PairCount => Tokens.Length - 1;

    /// <summary>Number of targets that carry loss (mask entries 1 .. n−1 that are true).</summary>
    public int TargetCount { get; }
}

namespace Gpt.Sdk.Training;

/// <summary>
/// One preference pair as tokens: a prompt, the chosen response and the rejected one (each response ending with the end
/// token when the tokenizer has one). Pairs expanded from one ranked list share a <see cref="Group"/> and are batched
/// together.
/// </summary>
public sealed class TokenizedPreference
{
    /// <summary>Creates a pair from copies of the token ids.</summary>
    /// <param name="prompt">Prompt ids (may be empty when a response has at least two tokens).</param>
    /// <param name="chosen">Ids of the preferred response, at least one.</param>
    /// <param name="rejected">Ids of the other response, at least one.</param>
    /// <param name="group">The prompt (ranked list) the pair came from.</param>
    public TokenizedPreference(ReadOnlySpan<int> prompt, ReadOnlySpan<int> chosen, ReadOnlySpan<int> rejected, int group = 0)
        : this(prompt.ToArray(), chosen.ToArray(), rejected.ToArray(), group)
    {
    }

    // Takes ownership of the arrays (the loader shares a prompt's arrays between the pairs of its ranked list).
    internal TokenizedPreference(int[] prompt, int[] chosen, int[] rejected, int group)
    {
        if (chosen.Length == 0 || rejected.Length == 0)
            throw new ArgumentException("a response needs at least one token.");
        if (prompt.Length + Math.Min(chosen.Length, rejected.Length) < 2)
            throw new ArgumentException("a prompt plus response needs at least two tokens (one input and one target).");
        if (chosen.AsSpan().SequenceEqual(rejected))
            throw new ArgumentException("the chosen and rejected responses are the same tokens; a preference needs two different responses.");
        foreach (int id in prompt.Concat(chosen).Concat(rejected))
            if (id < 0) throw new ArgumentException($"token id {id} is negative; ids are in [0, vocabulary size).");
        Prompt = prompt;
        Chosen = chosen;
        Rejected = rejected;
        Group = group;
    }

    /// <summary>Prompt ids. Shared with the dataset: do not modify.</summary>
    public int[] Prompt { get; }

    /// <summary>Ids of the preferred response. Shared with the dataset: do not modify.</summary>
    public int[] Chosen { get; }

    /// <summary>Ids of the other response. Shared with the dataset: do not modify.</summary>
    public int[] Rejected { get; }

    /// <summary>The ranked list (prompt) the pair came from: pairs of one group are trained in one batch.</summary>
    public int Group { get; }

    /// <summary>Tokens of prompt + the longer response: the row length the pair needs.</summary>
    public int Length => Prompt.Length + Math.Max(Chosen.Length, Rejected.Length);
}

namespace Gpt.Sdk.Generation;

/// <summary>One finished completion of a prompt.</summary>
/// <param name="Index">Position among the request's completions, 0 .. N−1 (best-of: best first).</param>
/// <param name="Text">The generated text, without the prompt and without the stop sequence that ended it.</param>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="Tokens">Every generated token with its log-probability (a stop sequence's own tokens included;
/// an end token is not), top alternatives when <see cref="GenerationOptions.Logprobs"/> asked for them.</param>
public sealed record Completion(int Index, string Text, FinishReason FinishReason, IReadOnlyList<TokenLogprob> Tokens)
{
    /// <summary>The end token that ended the completion (<see cref="FinishReason.EndOfText"/>), which <see cref="Tokens"/> leaves
    /// out; null when it ended otherwise. Training on sampled completions (PPO) needs it: the choice to stop is a token too.</summary>
    public int? EndTokenId { get; init; }

    /// <summary>The generated token ids, in order.</summary>
    public IEnumerable<int> TokenIds => Tokens.Select(t => t.TokenId);

    /// <summary>Mean log-probability per generated token (0 when none was generated): the score best-of-n ranks by.</summary>
    public double MeanLogprob => Tokens.Count == 0 ? 0 : Tokens.Average(t => (double)t.Logprob);
}

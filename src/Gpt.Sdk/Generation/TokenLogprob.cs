namespace Gpt.Sdk.Generation;

/// <summary>
/// One generated token with its log-probability under the model (the log-softmax of the raw logits,
/// before any bias, penalty, temperature or truncation) and, when asked for, the most likely
/// alternatives at that step.
/// </summary>
/// <param name="TokenId">The token chosen.</param>
/// <param name="Text">The token decoded on its own (a token that holds part of a UTF-8 character decodes to U+FFFD).</param>
/// <param name="Logprob">Natural log of the token's probability.</param>
/// <param name="TopAlternatives">The <see cref="GenerationOptions.Logprobs"/> most likely tokens at this step, most likely first (empty when 0 were asked for).</param>
public sealed record TokenLogprob(int TokenId, string Text, float Logprob, IReadOnlyList<TopLogprob> TopAlternatives);

/// <summary>A candidate token and its log-probability at one step.</summary>
/// <param name="TokenId">The candidate.</param>
/// <param name="Text">The candidate decoded on its own.</param>
/// <param name="Logprob">Natural log of its probability under the model.</param>
public readonly record struct TopLogprob(int TokenId, string Text, float Logprob);

namespace Gpt.Sdk.Generation;

/// <summary>A conversation as tokens, with the tokens a supervised fine-tune learns marked.</summary>
/// <param name="Tokens">The token ids.</param>
/// <param name="AssistantMask">Per token, true for what the assistant says (its text and its end-of-message
/// marker): the training targets of supervised fine-tuning; false for the template and the other speakers.</param>
public sealed record ChatEncoding(int[] Tokens, bool[] AssistantMask);

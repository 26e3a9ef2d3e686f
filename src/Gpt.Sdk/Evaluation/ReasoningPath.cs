using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>One generated answer to a question: the text and the answer read out of it.</summary>
/// <param name="Text">The completion, without the prompt and the stop sequence.</param>
/// <param name="Answer">The normalised answer (<see cref="AnswerExtractor.Extract"/>), or null when the text has none.</param>
/// <param name="FinishReason">Why generation ended (a path cut by <see cref="FinishReason.Length"/> often has no answer).</param>
public sealed record ReasoningPath(string Text, string? Answer, FinishReason FinishReason);

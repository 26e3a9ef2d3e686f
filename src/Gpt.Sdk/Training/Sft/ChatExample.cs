using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Training;

/// <summary>
/// A conversation (JSONL, OpenAI's chat fine-tuning format: <c>{"messages": [{"role": "user", "content": "..."}, ...]}</c>),
/// laid out by a <see cref="ChatTemplate"/> with loss on the assistant's messages only. At least one
/// assistant message is required.
/// </summary>
/// <param name="Messages">The turns, in order.</param>
public sealed record ChatExample(IReadOnlyList<ChatTurn> Messages) : SftExample
{
    /// <summary>Per message, 1 to learn it or 0 to keep it out of the loss (OpenAI's <c>weight</c> key, which only
    /// assistant messages may carry); null learns every assistant message. Ignored for other speakers.</summary>
    public IReadOnlyList<int>? Weights { get; init; }
}

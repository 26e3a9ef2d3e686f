namespace Gpt.Sdk.Generation;

/// <summary>One message of a conversation.</summary>
/// <param name="Speaker">Who says it.</param>
/// <param name="Text">What is said.</param>
public sealed record ChatTurn(ChatSpeaker Speaker, string Text);

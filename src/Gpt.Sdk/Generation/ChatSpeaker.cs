namespace Gpt.Sdk.Generation;

/// <summary>Who says a <see cref="ChatTurn"/>.</summary>
public enum ChatSpeaker
{
    /// <summary>Instructions that frame the conversation.</summary>
    System,

    /// <summary>The person talking to the model.</summary>
    User,

    /// <summary>The model.</summary>
    Assistant,
}

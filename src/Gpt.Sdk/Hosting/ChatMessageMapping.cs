using Gpt.Sdk.Generation;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Hosting;

/// <summary>Turns M.E.AI messages into the engine's chat turns: system, user and assistant text. Anything a text
/// model cannot read (images, files, tool calls and results) is refused, not silently dropped; usage
/// reports a streamed reply carried are ignored.</summary>
internal static class ChatMessageMapping
{
    public static List<ChatTurn> ToTurns(IEnumerable<ChatMessage> messages, string? instructions)
    {
        var turns = new List<ChatTurn>();
        if (!string.IsNullOrEmpty(instructions)) turns.Add(new ChatTurn(ChatSpeaker.System, instructions));
        int index = 0;
        foreach (var message in messages)
        {
            if (message is null) throw new ArgumentException($"message {index} is null.", nameof(messages));
            var speaker = message.Role == ChatRole.System ? ChatSpeaker.System
                : message.Role == ChatRole.User ? ChatSpeaker.User
                : message.Role == ChatRole.Assistant ? ChatSpeaker.Assistant
                : throw new NotSupportedException(
                    $"message {index} has the role '{message.Role}'; {nameof(GptChatClient)} reads system, user and assistant messages (it calls no tools).");
            foreach (var content in message.Contents)
                if (content is not (TextContent or UsageContent))
                    throw new NotSupportedException(
                        $"message {index} holds {content?.GetType().Name ?? "null"}; {nameof(GptChatClient)} reads text only (TextContent; UsageContent is ignored).");
            turns.Add(new ChatTurn(speaker, message.Text));
            index++;
        }
        return turns;
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// How a conversation becomes one token sequence, shared by chat generation and supervised
/// fine-tuning so a model is prompted exactly as it was trained. Two layouts:
/// <list type="bullet">
/// <item><see cref="ChatMl"/>: each turn is <c>&lt;|im_start|&gt;{role}\n{text}&lt;|im_end|&gt;\n</c> with roles
/// <c>system</c>, <c>user</c>, <c>assistant</c>; a reply is prompted by <c>&lt;|im_start|&gt;assistant\n</c> and ends
/// when the model emits <c>&lt;|im_end|&gt;</c>. The markers are special tokens (<see cref="WellKnownSpecialTokens"/>)
/// that user text can never produce; add them to a tokenizer with <see cref="AddChatTokens"/>.</item>
/// <item><see cref="PlainText"/>: each turn is <c>{Role}: {text}\n\n</c> (System, User, Assistant), for models
/// without chat tokens (a pretrained GPT-2); a reply is prompted by <c>Assistant:</c> and stops at a new
/// <c>User:</c> or <c>System:</c> line (<see cref="StopSequences"/>).</item>
/// </list>
/// </summary>
public sealed class ChatTemplate
{
    private readonly bool _chatMl;

    private ChatTemplate(bool chatMl, IReadOnlyList<string> stopSequences)
    {
        _chatMl = chatMl;
        StopSequences = stopSequences;
    }

    /// <summary>The ChatML layout with <c>&lt;|im_start|&gt;</c> / <c>&lt;|im_end|&gt;</c> special tokens.</summary>
    public static ChatTemplate ChatMl { get; } = new(chatMl: true, []);

    /// <summary>The plain-text layout for models without chat tokens.</summary>
    public static ChatTemplate PlainText { get; } = new(chatMl: false, ["\nUser:", "\nSystem:"]);

    /// <summary>True for the layout built on special tokens.</summary>
    public bool UsesSpecialTokens => _chatMl;

    /// <summary>Stop sequences a reply needs besides the end token (the plain layout's next-speaker lines).</summary>
    public IReadOnlyList<string> StopSequences { get; }

    /// <summary><see cref="ChatMl"/> when the tokenizer has both chat markers as special tokens whose ids the
    /// model's vocabulary covers, otherwise <see cref="PlainText"/>.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="vocabularySize">The model's vocabulary size.</param>
    public static ChatTemplate For(ITokenizer tokenizer, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer is BpeTokenizer bpe
            && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.MessageStart, out int start) && start < vocabularySize
            && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.MessageEnd, out int end) && end < vocabularySize
            ? ChatMl : PlainText;
    }

    /// <summary>The tokenizer plus the chat markers and the fill-in-the-middle markers as special tokens
    /// (ids from its vocabulary size on, GPT-2: 50257 ..); a model needs that many embedding rows to use them.</summary>
    /// <param name="tokenizer">A BPE tokenizer.</param>
    public static BpeTokenizer AddChatTokens(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.WithSpecialTokens(WellKnownSpecialTokens.MessageStart, WellKnownSpecialTokens.MessageEnd,
            WellKnownSpecialTokens.FimPrefix, WellKnownSpecialTokens.FimMiddle, WellKnownSpecialTokens.FimSuffix);
    }

    /// <summary>Encodes a conversation. Turn texts are encoded as ordinary text: special-token spellings in
    /// them stay text.</summary>
    /// <param name="tokenizer">The tokenizer (for <see cref="ChatMl"/>, a BPE tokenizer with the chat markers).</param>
    /// <param name="turns">The conversation so far, in order.</param>
    /// <param name="addReplyPrompt">True (generation) to end with the prompt for the assistant's next reply;
    /// false (training on a finished conversation) to stop after the last turn.</param>
    public ChatEncoding Encode(ITokenizer tokenizer, IReadOnlyList<ChatTurn> turns, bool addReplyPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(turns);
        var tokens = new List<int>();
        var mask = new List<bool>();
        void Add(IEnumerable<int> ids, bool isAssistant)
        {
            foreach (int id in ids)
            {
                tokens.Add(id);
                mask.Add(isAssistant);
            }
        }

        int start = 0, end = 0;
        if (_chatMl)
        {
            if (tokenizer is not BpeTokenizer bpe
                || !bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.MessageStart, out start)
                || !bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.MessageEnd, out end))
                throw new ArgumentException(
                    $"the ChatML template needs a BPE tokenizer with the special tokens {WellKnownSpecialTokens.MessageStart} and {WellKnownSpecialTokens.MessageEnd}; add them with ChatTemplate.AddChatTokens, or use ChatTemplate.PlainText.",
                    nameof(tokenizer));
        }

        foreach (var turn in turns)
        {
            ArgumentNullException.ThrowIfNull(turn, nameof(turns));
            ArgumentNullException.ThrowIfNull(turn.Text, nameof(turns));
            bool isAssistant = turn.Speaker == ChatSpeaker.Assistant;
            if (_chatMl)
            {
                Add([start], false);
                Add(tokenizer.Encode(RoleName(turn.Speaker) + "\n"), false);
                Add(tokenizer.Encode(turn.Text), isAssistant);
                Add([end], isAssistant);
                Add(tokenizer.Encode("\n"), false);
            }
            else
            {
                Add(tokenizer.Encode(SpeakerLabel(turn.Speaker) + ":"), false);
                Add(tokenizer.Encode(" " + turn.Text + "\n\n"), isAssistant);
            }
        }

        if (addReplyPrompt)
        {
            if (_chatMl)
            {
                Add([start], false);
                Add(tokenizer.Encode(RoleName(ChatSpeaker.Assistant) + "\n"), false);
            }
            else Add(tokenizer.Encode(SpeakerLabel(ChatSpeaker.Assistant) + ":"), false);
        }
        return new ChatEncoding(tokens.ToArray(), mask.ToArray());
    }

    private static string RoleName(ChatSpeaker speaker) => speaker switch
    {
        ChatSpeaker.System => "system",
        ChatSpeaker.User => "user",
        ChatSpeaker.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(speaker), speaker, "unknown chat speaker."),
    };

    private static string SpeakerLabel(ChatSpeaker speaker) => speaker switch
    {
        ChatSpeaker.System => "System",
        ChatSpeaker.User => "User",
        ChatSpeaker.Assistant => "Assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(speaker), speaker, "unknown chat speaker."),
    };
}

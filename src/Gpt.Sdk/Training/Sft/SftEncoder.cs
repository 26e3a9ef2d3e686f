using Gpt.Sdk.Generation;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// Turns an <see cref="SftExample"/> into tokens and a loss mask, the one place the layouts of the three
/// formats are applied. Problems are thrown as <see cref="TrainingDataException"/>s at the example's location.
/// </summary>
internal sealed class SftEncoder
{
    private readonly ITokenizer _tokenizer;
    private readonly ChatTemplate _chatTemplate;
    private readonly int? _endOfText;
    private readonly int _vocabularySize;
    private readonly bool _trainOnAllTokens;

    public SftEncoder(ITokenizer tokenizer, SftDataOptions options)
    {
        _tokenizer = tokenizer;
        _vocabularySize = options.VocabularySize ?? tokenizer.VocabularySize;
        _trainOnAllTokens = options.TrainOnAllTokens;
        _chatTemplate = options.ChatTemplate ?? ChatTemplate.For(tokenizer, _vocabularySize);
        var bpe = tokenizer as BpeTokenizer;
        if (_chatTemplate.UsesSpecialTokens
            && (bpe is null
                || !bpe.SpecialTokens.ContainsKey(WellKnownSpecialTokens.MessageStart)
                || !bpe.SpecialTokens.ContainsKey(WellKnownSpecialTokens.MessageEnd)))
            throw new ArgumentException(
                $"the ChatML template needs a BPE tokenizer with the special tokens {WellKnownSpecialTokens.MessageStart} and {WellKnownSpecialTokens.MessageEnd}; " +
                "add them with ChatTemplate.AddChatTokens, or set ChatTemplate to ChatTemplate.PlainText (or null to choose by the tokenizer).", nameof(options));
        // Completions end with the end token when there is one, so the model learns to stop.
        _endOfText = bpe is not null && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EndOfText, out int end) ? end : null;
    }

    public TokenizedExample Encode(SftExample example, string? fileName, int line)
    {
        TrainingDataException Problem(string problem, Exception? inner = null) => new(fileName, line, problem, inner);

        (int[] tokens, bool[] mask) = example switch
        {
            PromptCompletionExample pc => PromptCompletion(
                pc.Prompt ?? throw Problem("the prompt is null; give a string (it may be empty)."),
                pc.Completion ?? throw Problem("the completion is null; give the text to learn."), Problem),
            EditExample edit => PromptCompletion(
                EditTemplate.Prompt(
                    edit.Input ?? throw Problem("the input is null; give a string (it may be empty)."),
                    edit.Instruction ?? throw Problem("the instruction is null; give a string.")),
                edit.Output ?? throw Problem("the output is null; give the edited text to learn."), Problem),
            ChatExample chat => Chat(chat, Problem),
            null => throw Problem("the example is null."),
            _ => throw Problem($"unknown example kind {example.GetType().Name}."),
        };

        if (_trainOnAllTokens) Array.Fill(mask, true);
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)_vocabularySize)
                throw Problem($"token {i} has id {tokens[i]}, outside the model's vocabulary of {_vocabularySize} ids; " +
                    "set SftDataOptions.VocabularySize to the model's, and use a tokenizer whose ids the model covers.");
        int targets = 0;
        for (int i = 1; i < mask.Length; i++)
            if (mask[i]) targets++;
        if (targets == 0)
            throw Problem(example is ChatExample
                ? "no token carries loss: every assistant message is empty or has weight 0; give at least one assistant message to learn, or remove the example."
                : "no token carries loss: the completion is empty and the tokenizer has no <|endoftext|> to learn; give a completion, or remove the example.");
        return new TokenizedExample(tokens, mask);
    }

    private (int[] Tokens, bool[] Mask) PromptCompletion(string prompt, string completion, Func<string, Exception?, TrainingDataException> problem)
    {
        int[] p = Tokenize(prompt, "prompt", problem), c = Tokenize(completion, "completion", problem);
        int n = p.Length + c.Length + (_endOfText is null ? 0 : 1);
        var tokens = new int[n];
        var mask = new bool[n];
        p.CopyTo(tokens, 0);
        c.CopyTo(tokens, p.Length);
        if (_endOfText is int end) tokens[^1] = end;
        mask.AsSpan(p.Length).Fill(true);
        return (tokens, mask);
    }

    private (int[] Tokens, bool[] Mask) Chat(ChatExample chat, Func<string, Exception?, TrainingDataException> problem)
    {
        var messages = chat.Messages ?? throw problem("the messages are null; give a list of turns with at least one assistant message.", null);
        var weights = chat.Weights;
        if (weights is not null && weights.Count != messages.Count)
            throw problem($"there are {weights.Count} weights for {messages.Count} messages; give one per message, or none.", null);
        int assistants = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            var turn = messages[i] ?? throw problem($"message {i + 1} is null.", null);
            if (turn.Text is null) throw problem($"message {i + 1} has no content; give a string (it may be empty).", null);
            if (!Enum.IsDefined(turn.Speaker)) throw problem($"message {i + 1} has an unknown speaker ({(int)turn.Speaker}); use System, User or Assistant.", null);
            if (weights is not null && weights[i] is not (0 or 1))
                throw problem($"message {i + 1} has weight {weights[i]}; a weight is 0 (do not learn the message) or 1 (learn it).", null);
            if (turn.Speaker == ChatSpeaker.Assistant) assistants++;
        }
        if (assistants == 0)
            throw problem("the conversation has no assistant message, so there is nothing to learn; end it with the reply the model should give.", null);

        ChatEncoding encoding;
        try
        {
            encoding = _chatTemplate.Encode(_tokenizer, messages, addReplyPrompt: false);
        }
        catch (ArgumentException e)
        {
            throw problem($"the tokenizer cannot encode this conversation: {Describe(e)}; use a tokenizer that covers the data.", e);
        }

        bool[] mask = encoding.AssistantMask;
        if (weights is not null) ClearUnweighted(messages, weights, mask);
        return (encoding.Tokens, mask);
    }

    /// <summary>Clears the mask of assistant messages with weight 0. The template marks each assistant
    /// message as one unbroken run of true, separated by the next turn's header, so the k-th run is the
    /// k-th assistant message.</summary>
    private static void ClearUnweighted(IReadOnlyList<ChatTurn> messages, IReadOnlyList<int> weights, bool[] mask)
    {
        var assistantWeights = new List<int>();
        for (int i = 0; i < messages.Count; i++)
            if (messages[i].Speaker == ChatSpeaker.Assistant) assistantWeights.Add(weights[i]);
        int run = -1;
        bool previous = false;   // the template's mask at i − 1, before clearing
        for (int i = 0; i < mask.Length; i++)
        {
            bool marked = mask[i];
            if (marked && !previous) run++;
            previous = marked;
            if (!marked) continue;
            if (run >= assistantWeights.Count)
                throw new InvalidOperationException("the chat template marked more assistant runs than there are assistant messages; this is a bug in ChatTemplate.");
            if (assistantWeights[run] == 0) mask[i] = false;
        }
    }

    private int[] Tokenize(string text, string what, Func<string, Exception?, TrainingDataException> problem)
    {
        try
        {
            return _tokenizer.Encode(text);
        }
        catch (ArgumentException e)
        {
            throw problem($"the tokenizer cannot encode the {what}: {Describe(e)}; use a tokenizer that covers the data.", e);
        }
    }

    /// <summary>The tokenizer's message without .NET's "(Parameter 'text')" suffix and final full stop.</summary>
    private static string Describe(ArgumentException e)
    {
        string message = e.Message;
        if (e.ParamName is not null)
        {
            string suffix = $" (Parameter '{e.ParamName}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        return message.TrimEnd('.', ' ');
    }
}

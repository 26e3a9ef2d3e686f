using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// The state of one completion while it is generated: its sampler, the text assembled so far (through
/// the UTF-8-safe decoder and the stop-sequence matcher), its tokens with log-probabilities, and why it
/// ended. Turns each chosen token into the chunk a stream shows.
/// </summary>
internal sealed class GenerationSequence
{
    private readonly ITokenizer _tokenizer;
    private readonly TokenTextStream _decoder;
    private readonly StopSequenceMatcher _stops;
    private readonly StringBuilder _text = new();
    private readonly List<TokenLogprob> _tokens = [];
    private readonly int _maxTokens;
    private int _reported; // tokens already handed out in a chunk
    private int? _endToken;

    public GenerationSequence(int promptIndex, int index, int promptLength, TokenSampler sampler, ITokenizer tokenizer, GenerationOptions options)
    {
        PromptIndex = promptIndex;
        Index = index;
        PromptLength = promptLength;
        Sampler = sampler;
        _tokenizer = tokenizer;
        _decoder = new TokenTextStream(tokenizer);
        _stops = new StopSequenceMatcher(options.StopSequences);
        _maxTokens = options.MaxTokens;
    }

    /// <summary>Which prompt of the request this completes.</summary>
    public int PromptIndex { get; }

    /// <summary>Index among that prompt's completions.</summary>
    public int Index { get; }

    /// <summary>Tokens of the prompt.</summary>
    public int PromptLength { get; }

    /// <summary>Chooses this completion's tokens.</summary>
    public TokenSampler Sampler { get; }

    /// <summary>The last token chosen: the next one fed to the model.</summary>
    public int LastToken { get; private set; }

    /// <summary>Set once the completion has ended.</summary>
    public FinishReason? FinishReason { get; private set; }

    /// <summary>Tokens generated so far.</summary>
    public int TokenCount => _tokens.Count;

    /// <summary>Records a chosen token and returns the chunk to stream.</summary>
    /// <param name="token">The token.</param>
    /// <param name="logprob">Its log-probability under the model.</param>
    /// <param name="alternatives">The top alternatives, when asked for.</param>
    /// <param name="isEnd">True for an end-of-text token: it ends the completion and adds no text.</param>
    /// <param name="roomLeft">False when the context has no room to feed this token back.</param>
    public GenerationChunk Accept(int token, float logprob, IReadOnlyList<TopLogprob> alternatives, bool isEnd, bool roomLeft)
    {
        if (isEnd)
        {
            _endToken = token;
            return Finish(Generation.FinishReason.EndOfText);
        }
        LastToken = token;
        _tokens.Add(new TokenLogprob(token, _tokenizer.Decode([token]), logprob, alternatives));
        string released = _stops.Append(_decoder.Append(token));
        _text.Append(released);
        if (_stops.Stopped) return Finish(Generation.FinishReason.Stop, released);
        if (_tokens.Count >= _maxTokens || !roomLeft) return Finish(Generation.FinishReason.Length, released);
        return Chunk(released, null);
    }

    /// <summary>Ends the completion early, keeping what it has (cancellation).</summary>
    public GenerationChunk Cancel() => Finish(Generation.FinishReason.Cancelled);

    /// <summary>The finished completion.</summary>
    public Completion ToCompletion(int index) =>
        new(index, _text.ToString(), FinishReason ?? throw new InvalidOperationException("the completion has not finished."), _tokens.ToArray())
        {
            EndTokenId = _endToken,
        };

    // Releases everything held back (an unfinished character becomes U+FFFD; a stop sequence can still
    // complete in it) and marks the end.
    private GenerationChunk Finish(FinishReason reason, string alreadyReleased = "")
    {
        var text = new StringBuilder(alreadyReleased);
        if (!_stops.Stopped)
        {
            string tail = _stops.Append(_decoder.Flush());
            if (_stops.Stopped) reason = Generation.FinishReason.Stop;
            else tail += _stops.Flush();
            _text.Append(tail);
            text.Append(tail);
        }
        FinishReason = reason;
        return Chunk(text.ToString(), reason);
    }

    private GenerationChunk Chunk(string text, FinishReason? reason)
    {
        var tokens = _tokens.Count == _reported ? [] : _tokens.GetRange(_reported, _tokens.Count - _reported).ToArray();
        _reported = _tokens.Count;
        return new GenerationChunk(Index, text, tokens, reason);
    }
}

using Gpt.Sdk.Generation;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Retrieval;

/// <summary>
/// Summarises a text longer than the model's context, the map-reduce way ("State of GPT"): the text is cut into chunks
/// that fit the context beside the instruction and the summary, each chunk is summarised (map), and the summaries are
/// summarised in groups that fit (reduce), round after round, until one summary is left. A reduce step holds at least two
/// summaries, so every round at least halves their number and the rounds end.
/// </summary>
public sealed class MapReduceSummarizer
{
    private const string Separator = "\n\n";

    // Tokens kept free beside each step's text: a chunk's tokens were counted inside the whole text, and encoded on its
    // own inside the template a few may merge differently.
    private const int Margin = 4;

    private readonly ITokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly int _contextLength;
    private readonly Func<IReadOnlyList<ChatTurn>, CancellationToken, Task<string>> _summarize;

    /// <summary>A summariser writing with <paramref name="generator"/>'s model under its chat template.</summary>
    /// <param name="generator">The model that writes the summaries.</param>
    /// <param name="options">Instructions, summary length, overlap and sampling (defaults when null).</param>
    public MapReduceSummarizer(Generator generator, SummarizationOptions? options = null)
        : this(Checked(generator).Tokenizer, generator.ChatTemplate, generator.Model.Config.ContextLength, null!, options)
    {
        var generation = Options.Generation with { MaxTokens = Options.MaxSummaryTokens };
        _summarize = async (turns, cancellationToken) =>
        {
            var result = await generator.ChatAsync(turns, generation, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return result.Text.Trim();
        };
    }

    /// <summary>A summariser over any function that answers a conversation (tests use a scripted one).</summary>
    internal MapReduceSummarizer(ITokenizer tokenizer, ChatTemplate template, int contextLength,
        Func<IReadOnlyList<ChatTurn>, CancellationToken, Task<string>> summarize, SummarizationOptions? options)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _template = template ?? throw new ArgumentNullException(nameof(template));
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        _contextLength = contextLength;
        _summarize = summarize;
        Options = (options ?? new SummarizationOptions()).Validate();
    }

    /// <summary>The options in use.</summary>
    public SummarizationOptions Options { get; }

    /// <summary>Summarises <paramref name="text"/>.</summary>
    /// <param name="text">The text; not empty.</param>
    /// <param name="progress">Told after every summary written, with the stage, round and counts.</param>
    /// <param name="cancellationToken">Cancels within one decoding step.</param>
    /// <exception cref="InvalidOperationException">The context is too small for the instructions and
    /// <see cref="SummarizationOptions.MaxSummaryTokens"/> (the message says how the tokens add up).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<SummarizationResult> SummarizeAsync(string text, IProgress<SummarizationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        int mapBudget = Budget(Options.MapInstruction), reduceBudget = Budget(Options.ReduceInstruction);
        int separatorTokens = _tokenizer.Encode(Separator).Length;
        if (reduceBudget < 2 * (Options.MaxSummaryTokens + separatorTokens) || mapBudget <= Options.OverlapTokens)
            throw new InvalidOperationException(
                $"the model's {_contextLength}-token context leaves {Math.Min(mapBudget, reduceBudget)} tokens of text beside the instruction and a summary of up to {Options.MaxSummaryTokens} tokens; " +
                $"a reduce step needs room for two summaries ({2 * (Options.MaxSummaryTokens + separatorTokens)} tokens) and a map step for more than the overlap ({Options.OverlapTokens}). " +
                "Lower MaxSummaryTokens, shorten the instructions or use a model with a longer context.");

        var chunks = new TextChunker(_tokenizer, new TextChunkerOptions { MaxTokens = mapBudget, OverlapTokens = Options.OverlapTokens })
            .Chunk("text", text);
        var summaries = await Round(Options.MapInstruction, chunks.Select(c => c.Text).ToList(), SummarizationStage.Map, 0, progress, cancellationToken)
            .ConfigureAwait(false);
        int calls = summaries.Count, round = 0;
        while (summaries.Count > 1)
        {
            round++;
            var groups = Pack(summaries, reduceBudget);
            var reduced = await Round(Options.ReduceInstruction, groups, SummarizationStage.Reduce, round, progress, cancellationToken).ConfigureAwait(false);
            calls += reduced.Count;
            if (reduced.Count >= summaries.Count && reduced.Count > 1)
                throw new InvalidOperationException($"reduce round {round} wrote {reduced.Count} summaries from {summaries.Count}: the summaries are longer than MaxSummaryTokens allows. Lower it.");
            summaries = reduced;
        }
        return new SummarizationResult(summaries[0], chunks.Count, round, calls, mapBudget);
    }

    private async Task<List<string>> Round(string instruction, IReadOnlyList<string> inputs, SummarizationStage stage, int round,
        IProgress<SummarizationProgress>? progress, CancellationToken cancellationToken)
    {
        var outputs = new List<string>(inputs.Count);
        foreach (string input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outputs.Add(await _summarize([new ChatTurn(ChatSpeaker.System, instruction), new ChatTurn(ChatSpeaker.User, input)], cancellationToken)
                .ConfigureAwait(false));
            progress?.Report(new SummarizationProgress(stage, round, outputs.Count, inputs.Count));
        }
        return outputs;
    }

    // Consecutive summaries joined while they fit the budget; one longer than the budget on its own is cut to fit.
    private List<string> Pack(IReadOnlyList<string> summaries, int budget)
    {
        var cutter = new TextChunker(_tokenizer, new TextChunkerOptions { MaxTokens = budget, OverlapTokens = 0 });
        int separatorTokens = _tokenizer.Encode(Separator).Length;
        var groups = new List<string>();
        var current = new List<string>();
        int used = 0;
        foreach (string summary in summaries)
        {
            int tokens = _tokenizer.Encode(summary).Length;
            var pieces = tokens <= budget ? [(summary, tokens)] : cutter.Chunk("summary", summary).Select(c => (c.Text, c.TokenCount)).ToList();
            foreach (var (piece, count) in pieces)
            {
                if (current.Count > 0 && used + separatorTokens + count > budget)
                {
                    groups.Add(string.Join(Separator, current));
                    current.Clear();
                    used = 0;
                }
                used += (current.Count > 0 ? separatorTokens : 0) + count;
                current.Add(piece);
            }
        }
        if (current.Count > 0) groups.Add(string.Join(Separator, current));
        return groups;
    }

    // Tokens of text a step can be given: the context less the template with the instruction and an empty text, the
    // summary and the margin.
    private int Budget(string instruction)
    {
        int overhead = _template.Encode(_tokenizer, [new ChatTurn(ChatSpeaker.System, instruction), new ChatTurn(ChatSpeaker.User, "")]).Tokens.Length;
        return _contextLength - overhead - Options.MaxSummaryTokens - Margin;
    }

    private static Generator Checked(Generator generator) => generator ?? throw new ArgumentNullException(nameof(generator));
}

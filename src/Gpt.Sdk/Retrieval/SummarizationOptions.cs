using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Retrieval;

/// <summary>How <see cref="MapReduceSummarizer"/> summarises.</summary>
public sealed record SummarizationOptions
{
    /// <summary>The system turn of a map step, which summarises one chunk of the text.</summary>
    public string MapInstruction { get; init; } = "Summarize the following text in a few sentences.";

    /// <summary>The system turn of a reduce step, which combines summaries into one.</summary>
    public string ReduceInstruction { get; init; } = "Combine the following summaries into one short summary.";

    /// <summary>The longest summary one step writes, in tokens (default 96). A reduce step must fit at least two
    /// summaries in the context, so this is at most a third of what the context leaves beside the instructions.</summary>
    public int MaxSummaryTokens { get; init; } = 96;

    /// <summary>Tokens each chunk of the text shares with the one before it (default 0).</summary>
    public int OverlapTokens { get; init; }

    /// <summary>Sampling of each step (default greedy); <see cref="GenerationOptions.MaxTokens"/> is replaced by
    /// <see cref="MaxSummaryTokens"/>.</summary>
    public GenerationOptions Generation { get; init; } = new() { Temperature = 0 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public SummarizationOptions Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(MapInstruction, nameof(MapInstruction));
        ArgumentException.ThrowIfNullOrWhiteSpace(ReduceInstruction, nameof(ReduceInstruction));
        if (MaxSummaryTokens < 1) throw new ArgumentException($"the summary must be allowed at least 1 token, got {MaxSummaryTokens}.", nameof(MaxSummaryTokens));
        if (OverlapTokens < 0) throw new ArgumentException($"the overlap must be 0 or more tokens, got {OverlapTokens}.", nameof(OverlapTokens));
        ArgumentNullException.ThrowIfNull(Generation, nameof(Generation));
        Generation.Validate();
        return this;
    }
}

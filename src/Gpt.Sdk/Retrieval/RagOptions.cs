using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Retrieval;

/// <summary>How <see cref="RetrievalAugmentedGenerator"/> answers.</summary>
public sealed record RagOptions
{
    /// <summary>Chunks retrieved per question (default 4). Fewer reach the prompt when they do not all fit the context
    /// beside the question and <see cref="GenerationOptions.MaxTokens"/>: the farthest are left out first.</summary>
    public int Top { get; init; } = 4;

    /// <summary>The system turn: how to use the sources.</summary>
    public string Instruction { get; init; } =
        "Answer the question using only the numbered sources. Cite each source you use by its number in brackets, like [1].";

    /// <summary>How the answer is generated (default: greedy, at most 128 tokens).</summary>
    public GenerationOptions Generation { get; init; } = new() { Temperature = 0, MaxTokens = 128 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public RagOptions Validate()
    {
        if (Top < 1) throw new ArgumentException($"top must be at least 1 chunk, got {Top}.", nameof(Top));
        ArgumentNullException.ThrowIfNull(Instruction, nameof(Instruction));
        ArgumentNullException.ThrowIfNull(Generation, nameof(Generation));
        Generation.Validate();
        return this;
    }
}

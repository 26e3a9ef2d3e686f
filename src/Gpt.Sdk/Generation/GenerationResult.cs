namespace Gpt.Sdk.Generation;

/// <summary>The completions of one prompt and the tokens spent on them.</summary>
/// <param name="Completions">N completions (see <see cref="GenerationOptions.N"/>), by index.</param>
/// <param name="Usage">Prompt and completion token counts.</param>
public sealed record GenerationResult(IReadOnlyList<Completion> Completions, Usage Usage)
{
    /// <summary>The first completion's text.</summary>
    public string Text => Completions[0].Text;

    /// <summary>Why the first completion ended.</summary>
    public FinishReason FinishReason => Completions[0].FinishReason;
}

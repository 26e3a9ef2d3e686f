namespace Gpt.Sdk.Generation;

/// <summary>Token counts of one request.</summary>
/// <param name="PromptTokens">Tokens of the prompt (counted once, however many completions share it).</param>
/// <param name="CompletionTokens">Tokens generated, over every completion (best-of candidates included).</param>
public sealed record Usage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}

namespace Gpt.Sdk.Hosting;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that <see cref="GptChatClient"/> understands, for the settings
/// <c>ChatOptions</c> has no property for. Sampling values are numbers (any numeric type, a JSON number, or a string in
/// invariant culture); the adapter is a name. Any other key is refused, so a misspelt setting never goes unnoticed.
/// <code>new ChatOptions { Temperature = 0.8f, AdditionalProperties = new() { [GptChatOptions.MinP] = 0.05f, [GptChatOptions.Adapter] = "support" } }</code>
/// </summary>
public static class GptChatOptions
{
    /// <summary><c>"min_p"</c>: keeps the tokens at least this fraction as likely as the most likely one, in [0, 1]
    /// (<see cref="Generation.GenerationOptions.MinP"/>).</summary>
    public const string MinP = "min_p";

    /// <summary><c>"repetition_penalty"</c>: CTRL's penalty on tokens already in the prompt or reply, above 0, 1 = off
    /// (<see cref="Generation.GenerationOptions.RepetitionPenalty"/>).</summary>
    public const string RepetitionPenalty = "repetition_penalty";

    /// <summary><c>"adapter"</c>: the LoRA adapter to answer with, by name (a string or a JSON string), or null for the
    /// base model (<see cref="Generation.GenerationOptions.Adapter"/>). It takes precedence over <c>ChatOptions.ModelId</c>;
    /// see <see cref="GptChatClient"/> for how the two combine.</summary>
    public const string Adapter = "adapter";

    internal static readonly string[] Keys = [MinP, RepetitionPenalty, Adapter];
}

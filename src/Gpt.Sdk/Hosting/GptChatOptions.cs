namespace Gpt.Sdk.Hosting;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that <see cref="GptChatClient"/> understands, for the sampling
/// settings <c>ChatOptions</c> has no property for. Values are numbers (any numeric type, a JSON number, or a
/// string in invariant culture). Any other key is refused, so a misspelt setting never goes unnoticed.
/// <code>new ChatOptions { Temperature = 0.8f, AdditionalProperties = new() { [GptChatOptions.MinP] = 0.05f } }</code>
/// </summary>
public static class GptChatOptions
{
    /// <summary><c>"min_p"</c>: keeps the tokens at least this fraction as likely as the most likely one, in [0, 1]
    /// (<see cref="Generation.GenerationOptions.MinP"/>).</summary>
    public const string MinP = "min_p";

    /// <summary><c>"repetition_penalty"</c>: CTRL's penalty on tokens already in the prompt or reply, above 0, 1 = off
    /// (<see cref="Generation.GenerationOptions.RepetitionPenalty"/>).</summary>
    public const string RepetitionPenalty = "repetition_penalty";

    internal static readonly string[] Keys = [MinP, RepetitionPenalty];
}

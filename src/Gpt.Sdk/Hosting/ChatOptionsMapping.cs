using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Generation;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// Turns a request's <see cref="ChatOptions"/> into the engine's <see cref="GenerationOptions"/>: each option that
/// is set replaces the default's value; features a local GPT cannot honour (tools, JSON mode, server-side
/// conversations, another model) and invalid values are refused with the option's name.
/// </summary>
internal static class ChatOptionsMapping
{
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions defaults, string modelId, IChatClient client)
    {
        if (options is null) return defaults;
        var generation = defaults;
        if (options.RawRepresentationFactory?.Invoke(client) is { } raw)
            generation = raw as GenerationOptions ?? throw new ArgumentException(
                $"ChatOptions.RawRepresentationFactory returned a {raw.GetType().FullName}; {nameof(GptChatClient)} starts from a {typeof(GenerationOptions).FullName} (or null for its defaults).", nameof(options));

        if (generation.N != 1 || generation.BestOf is not null)
            throw new ArgumentException(
                $"the GenerationOptions from ChatOptions.RawRepresentationFactory ask for N = {generation.N}, BestOf = {generation.BestOf?.ToString(CultureInfo.InvariantCulture) ?? "null"}; a chat reply is one completion, so N must be 1 and BestOf unset.", nameof(options));
        if (options.ModelId is { } id && id != modelId)
            throw new ArgumentException($"ChatOptions.ModelId is '{id}', but this client serves '{modelId}'; leave ModelId unset or register that model under its own key.", nameof(options));
        if (options.Tools is { Count: > 0 })
            throw new NotSupportedException($"ChatOptions.Tools holds {options.Tools.Count} tool(s); {nameof(GptChatClient)} generates text only and cannot call tools. Remove the tools.");
        if (options.ToolMode is RequiredChatToolMode)
            throw new NotSupportedException($"ChatOptions.ToolMode requires a tool call; {nameof(GptChatClient)} cannot call tools.");
        if (options.ResponseFormat is ChatResponseFormatJson)
            throw new NotSupportedException($"ChatOptions.ResponseFormat asks for JSON; {nameof(GptChatClient)} cannot constrain its output to JSON. Use ChatResponseFormat.Text or leave it unset.");
        if (options.ConversationId is not null)
            throw new NotSupportedException($"ChatOptions.ConversationId is set; {nameof(GptChatClient)} keeps no conversations, so send the whole history in the messages instead.");

        generation = generation with
        {
            Temperature = options.Temperature ?? generation.Temperature,
            TopP = options.TopP ?? generation.TopP,
            TopK = options.TopK ?? generation.TopK,
            MaxTokens = options.MaxOutputTokens ?? generation.MaxTokens,
            StopSequences = options.StopSequences is { } stops ? [.. stops] : generation.StopSequences,
            Seed = options.Seed is { } seed ? unchecked((ulong)seed) : generation.Seed,
            FrequencyPenalty = options.FrequencyPenalty ?? generation.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty ?? generation.PresencePenalty,
        };

        if (options.AdditionalProperties is { Count: > 0 } extras)
            foreach (var (key, value) in extras)
            {
                generation = key switch
                {
                    GptChatOptions.MinP => generation with { MinP = Number(key, value) },
                    GptChatOptions.RepetitionPenalty => generation with { RepetitionPenalty = Number(key, value) },
                    _ => throw new ArgumentException(
                        $"ChatOptions.AdditionalProperties has the unknown key '{key}'; {nameof(GptChatClient)} understands {string.Join(", ", GptChatOptions.Keys.Select(k => $"'{k}'"))}.", nameof(options)),
                };
            }

        try
        {
            return generation.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(OptionErrors.Describe("ChatOptions", e), nameof(options), e);
        }
    }

    private static float Number(string key, object? value) => value switch
    {
        float f => f,
        double d => (float)d,
        decimal m => (float)m,
        int i => i,
        long l => l,
        Half h => (float)h,
        JsonElement { ValueKind: JsonValueKind.Number } json => json.GetSingle(),
        string s when float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) => parsed,
        _ => throw new ArgumentException(
            $"ChatOptions.AdditionalProperties['{key}'] is {(value is null ? "null" : $"'{value}' ({value.GetType().Name})")}; give a number.", "options"),
    };
}

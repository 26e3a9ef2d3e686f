using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn.Lora;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// Turns a request's <see cref="ChatOptions"/> into the engine's <see cref="GenerationOptions"/>: each option that
/// is set replaces the default's value, and <see cref="ChatOptions.ModelId"/> or the <see cref="GptChatOptions.Adapter"/> key
/// choose the LoRA adapter; features a local GPT cannot honour (tools, JSON mode, server-side conversations,
/// another model) and invalid values are refused with the option's name.
/// </summary>
internal static class ChatOptionsMapping
{
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions defaults, GptChatClient client)
    {
        if (options is null) return defaults;
        string modelId = client.Metadata.DefaultModelId!;
        var generation = defaults;
        if (options.RawRepresentationFactory?.Invoke(client) is { } raw)
            generation = raw as GenerationOptions ?? throw new ArgumentException(
                $"ChatOptions.RawRepresentationFactory returned a {raw.GetType().FullName}; {nameof(GptChatClient)} starts from a {typeof(GenerationOptions).FullName} (or null for its defaults).", nameof(options));

        if (generation.N != 1 || generation.BestOf is not null)
            throw new ArgumentException(
                $"the GenerationOptions from ChatOptions.RawRepresentationFactory ask for N = {generation.N}, BestOf = {generation.BestOf?.ToString(CultureInfo.InvariantCulture) ?? "null"}; a chat reply is one completion, so N must be 1 and BestOf unset.", nameof(options));
        string? adapter = ChooseAdapter(options, generation.Adapter, modelId, client.Generator.Model.Adapters);
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
            Adapter = adapter,
        };

        if (options.AdditionalProperties is { Count: > 0 } extras)
            foreach (var (key, value) in extras)
            {
                generation = key switch
                {
                    GptChatOptions.MinP => generation with { MinP = Number(key, value) },
                    GptChatOptions.RepetitionPenalty => generation with { RepetitionPenalty = Number(key, value) },
                    GptChatOptions.Adapter => generation,   // chosen above, together with ModelId
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

    /// <summary>
    /// The adapter a request runs under, by name (null: the base model). The <see cref="GptChatOptions.Adapter"/> key is
    /// this provider's precise choice, so it takes precedence; <see cref="ChatOptions.ModelId"/> is the portable one: the
    /// model's own id selects the base model, an adapter's name that adapter. Both may be given when ModelId is the model's
    /// id (the model the adapter runs on) or the same adapter; a ModelId naming another adapter contradicts the key and is
    /// refused rather than quietly overridden. With neither, the starting options' adapter (the defaults') stays.
    /// </summary>
    private static string? ChooseAdapter(ChatOptions options, string? start, string modelId, IReadOnlyDictionary<string, LoraAdapter> loaded)
    {
        string? chosen = start;
        if (options.ModelId is { } id)
        {
            chosen = id == modelId ? null
                : loaded.ContainsKey(id) ? id
                : throw new ArgumentException(
                    $"ChatOptions.ModelId is '{id}', but this client serves '{modelId}'; valid ids: {ValidIds(modelId, loaded)}. " +
                    "Leave ModelId unset, use one of those, or load that adapter (GptBuilder.WithLoraAdapter) or register that model under its own key.", "options");
        }

        foreach (var (key, value) in options.AdditionalProperties ?? [])
        {
            if (key != GptChatOptions.Adapter) continue;
            string? named = AdapterName(value, loaded);
            if (options.ModelId is { } byId && byId != modelId && byId != named)
                throw new ArgumentException(
                    $"ChatOptions.ModelId selects adapter '{byId}' but AdditionalProperties['{GptChatOptions.Adapter}'] selects {Describe(named)}; " +
                    $"give one of them, or set ModelId to '{modelId}' (the model the adapter runs on).", "options");
            return named;
        }

        if (chosen is not null && !loaded.ContainsKey(chosen))
            throw new ArgumentException(
                $"the starting options (the client's defaults or ChatOptions.RawRepresentationFactory) name adapter '{chosen}', which is not loaded on the model; " +
                $"valid ids: {ValidIds(modelId, loaded)}.", "options");
        return chosen;
    }

    private static string? AdapterName(object? value, IReadOnlyDictionary<string, LoraAdapter> loaded)
    {
        string? name = value switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.Null } => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
            _ => throw new ArgumentException(
                $"ChatOptions.AdditionalProperties['{GptChatOptions.Adapter}'] is '{value}' ({value.GetType().Name}); give an adapter's name as a string, or null for the base model.", "options"),
        };
        if (name is null || loaded.ContainsKey(name)) return name;
        throw new ArgumentException(
            $"ChatOptions.AdditionalProperties['{GptChatOptions.Adapter}'] is '{name}', which is not an adapter loaded on the model; " +
            (loaded.Count == 0 ? "the model has no adapters. Load one with GptBuilder.WithLoraAdapter, " : $"loaded adapters: {Names(loaded)}. Use one of those, ") +
            "or give null for the base model.", "options");
    }

    private static string ValidIds(string modelId, IReadOnlyDictionary<string, LoraAdapter> loaded) =>
        $"'{modelId}' (the base model){(loaded.Count == 0 ? "; the model has no adapters" : $", adapters {Names(loaded)}")}";

    private static string Names(IReadOnlyDictionary<string, LoraAdapter> loaded) =>
        string.Join(", ", loaded.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"));

    private static string Describe(string? adapter) => adapter is null ? "the base model" : $"adapter '{adapter}'";

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

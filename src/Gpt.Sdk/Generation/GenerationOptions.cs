namespace Gpt.Sdk.Generation;

/// <summary>
/// How a request generates: how long, how each token is chosen, when to stop, and what to report.
/// Each step turns the model's logits into the next token through the processors of
/// <see cref="TokenSampler"/>, in this fixed order: <see cref="LogitBias"/>; <see cref="RepetitionPenalty"/>,
/// <see cref="FrequencyPenalty"/> and <see cref="PresencePenalty"/>; <see cref="Temperature"/>
/// (0 = greedy: the most likely token, the rest skipped); <see cref="TopK"/>; <see cref="TopP"/>;
/// <see cref="MinP"/>; then a draw from a RNG seeded by <see cref="Seed"/>.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate per completion (default 256). Generation also stops, with
    /// <see cref="FinishReason.Length"/>, when the prompt plus the completion fill the model's context.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Divides the logits: below 1 sharpens, above 1 flattens; 0 means greedy (default 1).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keeps only the k most likely tokens; 0 keeps all (default).</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities reach
    /// this total, in (0, 1]; 1 keeps all (default).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Keeps the tokens at least this fraction as likely as the most likely one, in [0, 1]; 0 keeps all (default).</summary>
    public float MinP { get; init; }

    /// <summary>Divides positive logits and multiplies negative ones of every token already in the prompt or
    /// the completion (CTRL's penalty); 1 is off (default), above 1 discourages repeats.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Subtracted from a token's logit once per time it already occurs in the completion (not the prompt); 0 is off.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted from a token's logit if it already occurs in the completion (not the prompt); 0 is off.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Added to the logits of the given token ids before anything else; <see cref="float.NegativeInfinity"/> bans a token.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Texts that end a completion when it produces them, matched on the decoded text even across
    /// token boundaries; the stop text itself is not returned.</summary>
    public IReadOnlyList<string>? StopSequences { get; init; }

    /// <summary>Seed of the sampling RNG: equal seeds give equal text for equal requests. Null draws a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>How many most likely alternatives to report with each generated token (0 or more), or null for none.
    /// Every token's own log-probability is reported either way.</summary>
    public int? Logprobs { get; init; }

    /// <summary>Completions to return per prompt (default 1); they share the prompt's prefill.</summary>
    public int N { get; init; } = 1;

    /// <summary>When set, generates this many candidates (at least <see cref="N"/>) and returns the
    /// <see cref="N"/> with the highest mean log-probability, best first. Not available when streaming.</summary>
    public int? BestOf { get; init; }

    /// <summary>Keys and values of a prompt prefix computed earlier (<see cref="Generator.CreatePromptCache(string, string?, CancellationToken)"/>);
    /// when the prompt's tokens begin with the cache's tokens, those positions are copied, not recomputed. It must
    /// have been built under the same <see cref="Adapter"/> as the request (keys and values differ between adapters).</summary>
    public PromptCache? PromptCache { get; init; }

    /// <summary>The name of the LoRA adapter to generate with, one loaded on the generator's model
    /// (<see cref="Nn.GptModel.Adapters"/>), or null (default) for the base model. Each request applies its own
    /// adapter to its own passes, so requests with different adapters run side by side on one model.</summary>
    public string? Adapter { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its value.</summary>
    /// <returns>These options.</returns>
    public GenerationOptions Validate()
    {
        if (MaxTokens < 1) throw Bad(nameof(MaxTokens), MaxTokens, "must be at least 1");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw Bad(nameof(Temperature), Temperature, "must be a finite number >= 0 (0 = greedy)");
        if (TopK < 0) throw Bad(nameof(TopK), TopK, "must be >= 0 (0 = all tokens)");
        if (!(TopP > 0 && TopP <= 1)) throw Bad(nameof(TopP), TopP, "must be in (0, 1] (1 = all tokens)");
        if (!(MinP >= 0 && MinP <= 1)) throw Bad(nameof(MinP), MinP, "must be in [0, 1] (0 = all tokens)");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty)) throw Bad(nameof(RepetitionPenalty), RepetitionPenalty, "must be a finite number > 0 (1 = off)");
        if (!float.IsFinite(FrequencyPenalty)) throw Bad(nameof(FrequencyPenalty), FrequencyPenalty, "must be a finite number (0 = off)");
        if (!float.IsFinite(PresencePenalty)) throw Bad(nameof(PresencePenalty), PresencePenalty, "must be a finite number (0 = off)");
        if (LogitBias is not null)
            foreach (var (id, bias) in LogitBias)
                if (id < 0 || float.IsNaN(bias) || float.IsPositiveInfinity(bias))
                    throw new ArgumentException($"LogitBias: token {id} → {bias}; ids must be >= 0 and biases finite or -infinity (a ban).", nameof(LogitBias));
        if (StopSequences is not null)
            foreach (string? stop in StopSequences)
                if (string.IsNullOrEmpty(stop)) throw new ArgumentException("StopSequences: a stop sequence must not be null or empty.", nameof(StopSequences));
        if (Logprobs < 0) throw Bad(nameof(Logprobs), Logprobs, "must be >= 0 alternatives, or null for none");
        if (N < 1) throw Bad(nameof(N), N, "must be at least 1");
        if (BestOf is { } bestOf && bestOf < N) throw Bad(nameof(BestOf), bestOf, $"must be at least N ({N})");
        // Whether the name is loaded is the generator's question (it knows the model); a blank one is wrong anywhere.
        if (Adapter is not null && string.IsNullOrWhiteSpace(Adapter))
            throw new ArgumentException("adapter is blank; name a LoRA adapter loaded on the model, or leave it null for the base model.", nameof(Adapter));
        return this;
    }

    // "temperature must be ..., got -1." with the property as the parameter name.
    private static ArgumentException Bad(string option, object? value, string rule) =>
        new($"{Spelled(option)} {rule}, got {Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)}.", option);

    private static string Spelled(string option) => option switch
    {
        nameof(MaxTokens) => "max tokens",
        nameof(TopK) => "top-k",
        nameof(TopP) => "top-p",
        nameof(MinP) => "min-p",
        nameof(RepetitionPenalty) => "repetition penalty",
        nameof(FrequencyPenalty) => "frequency penalty",
        nameof(PresencePenalty) => "presence penalty",
        nameof(BestOf) => "best-of",
        _ => option.ToLowerInvariant(),
    };
}

using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>How <see cref="SelfConsistency"/> samples reasoning paths, and the budget both it and greedy decoding get.</summary>
public sealed record SelfConsistencyOptions
{
    /// <summary>Reasoning paths sampled per question (default 10; Wang et al. report gains growing up to 40).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>Sampling temperature for the paths, above 0 (default 0.7, within the 0.5–0.7 Wang et al. used):
    /// the paths must differ for a vote to mean anything. Greedy decoding ignores it.</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>Keeps only the k most likely tokens when sampling; 0 keeps all (default).</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling for the paths, in (0, 1]; 1 keeps all (default).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>The most tokens of one path or greedy answer (default 128); the prompt gets the rest of the context.</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Seed of the sampling; an evaluation gives item i the seed <c>Seed + i</c>, so a run repeats exactly and
    /// items do not share their draws. Null draws random seeds.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Texts that end a path. Null: when evaluating, the prompt layout's (<see cref="FewShotLayout.StopSequences"/>);
    /// for a single prompt, none.</summary>
    public IReadOnlyList<string>? StopSequences { get; init; }

    /// <summary>The LoRA adapter to generate with, loaded on the generator's model, or null for the base model.</summary>
    public string? Adapter { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its value.</summary>
    /// <returns>These options.</returns>
    public SelfConsistencyOptions Validate()
    {
        if (Samples < 1) throw new ArgumentException($"samples must be at least 1, got {Samples}.", nameof(Samples));
        if (!(Temperature > 0) || float.IsInfinity(Temperature))
            throw new ArgumentException($"the sampling temperature must be a finite number above 0 so the paths differ, got {Temperature}; greedy decoding is reported beside self-consistency already.", nameof(Temperature));
        Sampling(null).Validate();
        return this;
    }

    /// <summary>The generator options of the sampled paths.</summary>
    internal GenerationOptions Sampling(IReadOnlyList<string>? stops) => new()
    {
        N = Samples, Temperature = Temperature, TopK = TopK, TopP = TopP, MaxTokens = MaxTokens, Seed = Seed,
        StopSequences = StopSequences ?? stops, Adapter = Adapter,
    };

    /// <summary>The generator options of greedy decoding: one path, the likeliest token at every step.</summary>
    internal GenerationOptions Greedy(IReadOnlyList<string>? stops) => new()
    {
        N = 1, Temperature = 0, MaxTokens = MaxTokens, StopSequences = StopSequences ?? stops, Adapter = Adapter,
    };
}

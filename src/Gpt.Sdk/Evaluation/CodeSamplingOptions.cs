using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>How <see cref="CodeSampler"/> samples completions: n per problem, generated in batches, with the Codex
/// paper's nucleus sampling and stop sequences.</summary>
public sealed record CodeSamplingOptions
{
    /// <summary>The stop sequences of the Codex paper: a completion ends where the function body ends.</summary>
    public static IReadOnlyList<string> CodexStopSequences { get; } = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"];

    /// <summary>n, the samples per problem.</summary>
    public int SamplesPerProblem { get; init; } = 1;

    /// <summary>Completions generated together for one problem (one batched decoding pass).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Sampling temperature (0: greedy).</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Nucleus sampling's probability mass, in (0, 1].</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>The most tokens per completion.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Where completions end; <see cref="CodexStopSequences"/> by default.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = CodexStopSequences;

    /// <summary>Seed: with one, each problem's batches get seeds derived from it and from the samples already written, so
    /// a resumed run samples as an uninterrupted one does. Null: unseeded.</summary>
    public ulong? Seed { get; init; }

    /// <summary>The LoRA adapter to generate with, by name, or null.</summary>
    public string? Adapter { get; init; }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public CodeSamplingOptions Validate()
    {
        if (SamplesPerProblem < 1) throw new ArgumentException($"SamplesPerProblem must be at least 1, not {SamplesPerProblem}.", nameof(SamplesPerProblem));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, not {BatchSize}.", nameof(BatchSize));
        ArgumentNullException.ThrowIfNull(StopSequences, nameof(StopSequences));
        GenerationOptions(1, 0).Validate();
        return this;
    }

    /// <summary>The generator options of one batch.</summary>
    internal GenerationOptions GenerationOptions(int n, ulong seedOffset) => new()
    {
        N = n, Temperature = Temperature, TopP = TopP, MaxTokens = MaxTokens,
        StopSequences = StopSequences.Count == 0 ? null : StopSequences, Seed = Seed is { } seed ? seed + seedOffset : null, Adapter = Adapter,
    };
}

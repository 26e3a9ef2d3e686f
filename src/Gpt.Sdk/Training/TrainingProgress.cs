using System.Collections.Frozen;

namespace Gpt.Sdk.Training;

/// <summary>A report after each optimizer step.</summary>
/// <param name="Step">Steps completed (1-based).</param>
/// <param name="MaxSteps">Steps the run will take.</param>
/// <param name="Loss">Mean training loss of this step's batches (NaN or ∞ if the step was skipped for it).</param>
/// <param name="LearningRate">Rate used for this step.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">Training throughput of this step.</param>
/// <param name="ValidationLoss">Mean validation loss, when this step evaluated.</param>
/// <param name="Skipped">True when a non-finite loss or gradient made the step skip its update.</param>
/// <param name="SkippedSteps">Steps skipped so far in the run.</param>
/// <param name="Elapsed">Wall time since the run started.</param>
/// <param name="Remaining">Estimated time to finish.</param>
public readonly record struct TrainingProgress(
    int Step, int MaxSteps, float Loss, float LearningRate, float GradientNorm, double TokensPerSecond,
    float? ValidationLoss, bool Skipped, int SkippedSteps, TimeSpan Elapsed, TimeSpan Remaining)
{
    private readonly IReadOnlyDictionary<string, double>? _metrics, _validationMetrics;

    /// <summary>The objective's values besides the loss for this step (a reward model's accuracy, DPO's margin...), averaged
    /// over the step's micro-batches; empty for language modelling.</summary>
    public IReadOnlyDictionary<string, double> Metrics
    {
        get => _metrics ?? FrozenDictionary<string, double>.Empty;
        init => _metrics = value;
    }

    /// <summary>The objective's values besides the loss on held-out data, when this step evaluated; else empty.</summary>
    public IReadOnlyDictionary<string, double> ValidationMetrics
    {
        get => _validationMetrics ?? FrozenDictionary<string, double>.Empty;
        init => _validationMetrics = value;
    }
}

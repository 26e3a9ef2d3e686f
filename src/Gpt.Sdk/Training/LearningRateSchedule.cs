namespace Gpt.Sdk.Training;

/// <summary>Linear warm-up to the peak rate, then cosine decay to the minimum at the last step (GPT-3's schedule).</summary>
/// <param name="PeakRate">Rate at the end of warm-up.</param>
/// <param name="MinimumRate">Rate at and after <paramref name="DecaySteps"/>.</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="DecaySteps">Step at which the cosine reaches the minimum.</param>
public readonly record struct LearningRateSchedule(float PeakRate, float MinimumRate, int WarmupSteps, int DecaySteps)
{
    /// <summary>The rate for a 0-based step.</summary>
    /// <param name="step">Number of optimizer steps already taken.</param>
    public float At(int step)
    {
        if (step < WarmupSteps) return PeakRate * (step + 1) / WarmupSteps;
        if (step >= DecaySteps) return MinimumRate;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, DecaySteps - WarmupSteps);
        return (float)(MinimumRate + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (PeakRate - MinimumRate));
    }
}

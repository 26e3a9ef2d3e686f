namespace Gpt.Sdk.Training;

/// <summary>A report after each PPO iteration; the same values are appended to the run's <see cref="MetricsLog"/>.</summary>
public sealed record PpoProgress
{
    /// <summary>Iterations completed (1-based).</summary>
    public int Iteration { get; init; }

    /// <summary>Iterations the run will take.</summary>
    public int Iterations { get; init; }

    /// <summary>Mean score of this iteration's scored responses (skipped samples left out).</summary>
    public double MeanScore { get; init; }

    /// <summary>Mean over responses of Σₜ (log π − log π_ref): the policy's KL to the reference, in nats per response.</summary>
    public double MeanKl { get; init; }

    /// <summary>The KL coefficient β this iteration's rewards were computed with.</summary>
    public double KlCoefficient { get; init; }

    /// <summary>Mean entropy (nats) of the policy's next-token distribution over the response tokens, at the rollout.</summary>
    public double Entropy { get; init; }

    /// <summary>Fraction of response tokens whose clipped policy term was the active one, over all minibatch updates.</summary>
    public double ClipFraction { get; init; }

    /// <summary>Fraction of response tokens whose clipped value term was the active one.</summary>
    public double ValueClipFraction { get; init; }

    /// <summary>Mean clipped policy loss over the updates.</summary>
    public double PolicyLoss { get; init; }

    /// <summary>Mean clipped value loss over the updates.</summary>
    public double ValueLoss { get; init; }

    /// <summary>Mean of TRL's approximate KL ½·(log π − log π_old)² between the updated and the rollout policy.</summary>
    public double ApproxKl { get; init; }

    /// <summary>Mean response length in tokens (an end token included).</summary>
    public double MeanResponseLength { get; init; }

    /// <summary>Mean language-modelling loss of the ptx batches; NaN when the ptx term is off.</summary>
    public double PtxLoss { get; init; } = double.NaN;

    /// <summary>Samples of this iteration left out because the scorer threw or returned NaN or ±∞ for them.</summary>
    public int SkippedSamples { get; init; }

    /// <summary>Minibatch updates skipped because their loss or gradient was not finite.</summary>
    public int SkippedUpdates { get; init; }

    /// <summary>Wall time of this iteration.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Wall time since the run (or its resumption) started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The values as named for <see cref="MetricsLog"/> (snake_case).</summary>
    public IEnumerable<KeyValuePair<string, double>> Metrics()
    {
        yield return new("mean_score", MeanScore);
        yield return new("kl", MeanKl);
        yield return new("kl_coef", KlCoefficient);
        yield return new("entropy", Entropy);
        yield return new("clip_fraction", ClipFraction);
        yield return new("value_clip_fraction", ValueClipFraction);
        yield return new("policy_loss", PolicyLoss);
        yield return new("value_loss", ValueLoss);
        yield return new("approx_kl", ApproxKl);
        yield return new("response_length", MeanResponseLength);
        yield return new("ptx_loss", PtxLoss);
        yield return new("skipped_samples", SkippedSamples);
        yield return new("skipped_updates", SkippedUpdates);
        yield return new("seconds", Duration.TotalSeconds);
    }
}

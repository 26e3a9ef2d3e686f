namespace Gpt.Sdk.Training;

/// <summary>
/// The KL coefficient β of PPO's per-token penalty: fixed, or adapted after each iteration towards a target KL by Ziegler
/// et al. (2019)'s proportional controller, as TRL's <c>AdaptiveKLController</c>: e = clip(KL/target − 1, −0.2, 0.2),
/// β ← β·(1 + e·n/horizon) for n samples.
/// </summary>
internal sealed class KlController(double initial, double? target, int horizon)
{
    /// <summary>The current β.</summary>
    public double Value { get; set; } = initial;

    /// <summary>Moves β after an iteration whose mean per-sample KL was <paramref name="kl"/> over <paramref name="samples"/> samples.</summary>
    public void Update(double kl, int samples)
    {
        if (target is not { } goal || !double.IsFinite(kl)) return;
        double error = Math.Clamp(kl / goal - 1, -0.2, 0.2);
        Value *= 1 + error * samples / horizon;
    }
}

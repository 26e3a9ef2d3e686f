namespace Gpt.Sdk.Training;

/// <summary>The preference loss of a <see cref="DpoObjective"/>, as TRL's <c>DPOConfig</c> names it; the run's other
/// hyper-parameters are <see cref="TrainingOptions"/>.</summary>
public sealed record DpoOptions
{
    /// <summary>β: how far the policy may move from the reference. For DPO the temperature of the implicit reward
    /// β·(log π − log π_ref) (TRL's default 0.1); for IPO the regulariser τ, the margin being pulled to 1/(2β).</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>The loss: <see cref="DpoLossType.Sigmoid"/> (DPO, the default) or <see cref="DpoLossType.Ipo"/>.</summary>
    public DpoLossType LossType { get; init; } = DpoLossType.Sigmoid;

    /// <summary>ε in [0, 0.5): the assumed fraction of pairs whose label is flipped (conservative DPO); 0 is plain DPO. Only
    /// for the sigmoid loss.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Runs the policy without dropout, as TRL does by default, so that before the first step the policy's
    /// log-probabilities equal the reference's and the loss starts at log 2 (DPO) instead of at noise. Default true.</summary>
    public bool DisableDropout { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and what to give instead.</summary>
    /// <returns>These options.</returns>
    public DpoOptions Validate()
    {
        if (!(Beta > 0) || float.IsInfinity(Beta))
            throw new ArgumentException($"Beta must be a positive number, got {Beta}; DPO usually takes 0.1 to 0.5 (TRL's default 0.1).");
        if (!Enum.IsDefined(LossType))
            throw new ArgumentException($"LossType must be Sigmoid (DPO) or Ipo, got {(int)LossType}.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5f))
            throw new ArgumentException($"LabelSmoothing must be in [0, 0.5), got {LabelSmoothing}; it is the assumed fraction of flipped labels (0 for plain DPO).");
        if (LossType == DpoLossType.Ipo && LabelSmoothing != 0)
            throw new ArgumentException($"LabelSmoothing ({LabelSmoothing}) applies to the sigmoid (DPO) loss only; IPO has none: set it to 0 or use the sigmoid loss.");
        return this;
    }
}

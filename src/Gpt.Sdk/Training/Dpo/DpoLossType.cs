namespace Gpt.Sdk.Training;

/// <summary>Which preference loss <see cref="DpoObjective"/> minimises, named as TRL's <c>DPOConfig.loss_type</c>.</summary>
public enum DpoLossType
{
    /// <summary>DPO (Rafailov et al. 2023): −log σ(β·z), z = (log π_c − log π_ref,c) − (log π_r − log π_ref,r), over the
    /// responses' summed token log-probabilities; with label smoothing ε, conservative DPO:
    /// −(1 − ε)·log σ(β·z) − ε·log σ(−β·z).</summary>
    Sigmoid,

    /// <summary>IPO (Azar et al. 2023, eq. 17): (z − 1/(2β))², with z over the responses' per-token <em>mean</em>
    /// log-probabilities, as TRL computes it. The loss pulls the margin to 1/(2β) instead of pushing it without bound, so a
    /// smaller β allows a larger margin.</summary>
    Ipo,
}

using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// The reward model's loss (InstructGPT, eq. 1): −log σ(r_chosen − r_rejected), the Bradley–Terry likelihood of the
/// human ranking, averaged over a batch's pairs. A batch that holds whole prompts gives each of a ranked list's
/// K·(K−1)/2 pairs the same weight, which is InstructGPT's 1/C(K,2) normalisation up to the batch's constant.
/// </summary>
internal static class PairwiseRewardLoss
{
    /// <summary>The scalar mean loss over N pairs.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="chosen">Scores of the preferred responses (N).</param>
    /// <param name="rejected">Scores of the other responses (N), in the same order.</param>
    public static Tensor Compute(Tape tape, Tensor chosen, Tensor rejected) =>
        tape.Scale(tape.Mean(tape.LogSigmoid(tape.Subtract(chosen, rejected))), -1f);
}

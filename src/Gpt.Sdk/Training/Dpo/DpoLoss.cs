using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// The preference losses on the tape, from the policy's log-probabilities of the chosen and rejected responses and the
/// reference's (constants): z = (log π_c − log π_r) − (log π_ref,c − log π_ref,r) per pair, then DPO's
/// −(1 − ε)·log σ(βz) − ε·log σ(−βz) or IPO's (z − 1/(2β))², averaged over the pairs (TRL's <c>dpo_loss</c>).
/// </summary>
internal static class DpoLoss
{
    /// <summary>The mean loss (a scalar) over N pairs.</summary>
    /// <param name="tape">Records the loss.</param>
    /// <param name="chosen">log π of the chosen responses, N values.</param>
    /// <param name="rejected">log π of the rejected responses, N values.</param>
    /// <param name="referenceChosen">The reference's, N.</param>
    /// <param name="referenceRejected">The reference's, N.</param>
    /// <param name="options">β, loss type, label smoothing.</param>
    public static Tensor Compute(Tape tape, Tensor chosen, Tensor rejected, ReadOnlySpan<float> referenceChosen, ReadOnlySpan<float> referenceRejected,
        DpoOptions options)
    {
        int n = chosen.Length;
        if (rejected.Length != n || referenceChosen.Length != n || referenceRejected.Length != n)
            throw new ArgumentException($"preference loss: {n} chosen, {rejected.Length} rejected, {referenceChosen.Length} and {referenceRejected.Length} reference values; give one of each per pair.");
        var shape = chosen.Shape;
        Span<float> constant = n <= 1024 ? stackalloc float[n] : new float[n];
        for (int i = 0; i < n; i++) constant[i] = referenceChosen[i] - referenceRejected[i];
        var z = tape.Subtract(tape.Subtract(chosen, rejected), tape.Constant(constant, shape));          // (N)
        float beta = options.Beta;
        if (options.LossType == DpoLossType.Ipo)
        {
            constant.Fill(1f / (2f * beta));
            var gap = tape.Subtract(z, tape.Constant(constant, shape));
            return tape.Mean(tape.Multiply(gap, gap));
        }

        float smoothing = options.LabelSmoothing;
        var loss = tape.Scale(tape.LogSigmoid(tape.Scale(z, beta)), -(1f - smoothing));
        if (smoothing > 0) loss = tape.Add(loss, tape.Scale(tape.LogSigmoid(tape.Scale(z, -beta)), -smoothing));
        return tape.Mean(loss);
    }
}

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Per-token log-probabilities log softmax(logits)[target] (rows) of logits (…, V): what DPO and PPO
    /// compare between a policy and its reference. A negative target gives 0 and no gradient (padding,
    /// prompt tokens). Uses the fused cross-entropy kernels: log p = −(per-row cross-entropy).
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="logits">Unnormalised scores (…, V).</param>
    /// <param name="targets">One target per row of logits; negative = none.</param>
    public static Tensor TokenLogProbs(this Tape tape, Tensor logits, IndexTensor targets)
    {
        int rows = logits.Shape.Rows, vocab = logits.Shape.Last;
        if (targets.Count != rows) throw new ArgumentException($"token log-probabilities: {targets.Count} targets for {rows} rows of logits.");
        var losses = tape.NewTensor(new Shape(rows));
        var logSumExp = tape.NewTensor(new Shape(rows));
        tape.Device.CrossEntropyForward(logits.Data, targets.Data, losses.Data, logSumExp.Data, rows, vocab);
        var output = tape.NewTensor(new Shape(rows));
        tape.Device.Scale(losses.Data, -1f, output.Data, rows);
        output.RequiresGrad = tape.NeedsGrad(logits);
        tape.Record(new TapeEntry { Op = TokenLogProbsBackward.Instance, Input0 = logits, Indices = targets, Output = output, Saved0 = losses, Saved1 = logSumExp });
        return output;
    }

    private sealed class TokenLogProbsBackward : TapeOp
    {
        public static readonly TokenLogProbsBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var logits = e.Input0!;
            int rows = logits.Shape.Rows;
            var dLosses = e.Saved0!.Data;                                           // d(−loss) = −d(log p)
            tape.Device.Scale(e.Output!.Grad!.Data, -1f, dLosses, rows);
            AddGradient(tape, logits, e.Saved1!.Data, e.Indices!, dLosses);
        }
    }
}

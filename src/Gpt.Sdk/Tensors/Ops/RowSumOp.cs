namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Weighted sums along the last dimension: output (R) with output[r] = Σ_c x[r, c]·weights[r, c] for x (…, C)
    /// viewed as (R, C). With token log-probabilities (B, T) and a 0/1 mask of the completion's tokens it gives each
    /// sequence's log-probability (DPO's log π(y|x)); with weights 1/count per row, a masked mean. Each row is summed
    /// in column order, so the result does not depend on the device's thread count.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">(…, C) values.</param>
    /// <param name="weights">One weight per value, a constant (it gets no gradient, so one that requires one is refused).</param>
    public static Tensor RowSum(this Tape tape, Tensor input, Tensor weights)
    {
        if (weights.Length != input.Length) throw new ArgumentException($"row sum: weights {weights.Shape} for values {input.Shape}.");
        if (tape.NeedsGrad(weights))
            throw new ArgumentException("row sum: the weights require a gradient, which this op does not compute; pass a constant (a mask).", nameof(weights));
        int rows = input.Shape.Rows, cols = input.Shape.Last;
        var output = tape.NewTensor(new Shape(rows));
        tape.Device.RowSum(input.Data, weights.Data, output.Data, rows, cols);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = RowSumBackward.Instance, Input0 = input, Input1 = weights, Output = output });
        return output;
    }

    private sealed class RowSumBackward : TapeOp
    {
        public static readonly RowSumBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var input = e.Input0!;
            var dInput = tape.GradOf(input);                                       // dInput[r, c] += dOut[r]·w[r, c]
            if (!dInput.IsEmpty)
                tape.Device.RowSumBackward(e.Output!.Grad!.Data, e.Input1!.Data, dInput, input.Shape.Rows, input.Shape.Last);
        }
    }
}

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Elementwise min(a, b) of equal element counts (PPO's pessimistic surrogate, min(ratio·A, clip(ratio)·A), as a
    /// loss −min). The gradient goes to the smaller operand; at a tie each operand gets half, as torch.minimum splits it.
    /// NaN in either operand gives NaN.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, same element count; the result has a's shape.</param>
    public static Tensor Minimum(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"minimum: shapes {a.Shape} and {b.Shape} differ.");
        var output = tape.NewTensor(a.Shape);
        tape.Device.Minimum(a.Data, b.Data, output.Data, a.Length);
        output.RequiresGrad = tape.NeedsGrad(a, b);
        tape.Record(new TapeEntry { Op = SelectBackward.Instance, Input0 = a, Input1 = b, Output = output });
        return output;
    }

    /// <summary>The backward pass of <see cref="Minimum"/> and <see cref="Maximum"/>: which operand was chosen is read
    /// off the output (the one it equals), so one op serves both.</summary>
    private sealed class SelectBackward : TapeOp
    {
        public static readonly SelectBackward Instance = new();

        public override bool ReadsOutput => true;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var output = e.Output!;
            tape.Device.SelectBackward(e.Input0!.Data, e.Input1!.Data, output.Data, output.Grad!.Data,
                tape.GradOf(e.Input0), tape.GradOf(e.Input1), output.Length);
        }
    }
}

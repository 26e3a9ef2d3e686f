namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Elementwise max(a, b) of equal element counts (PPO's clipped value loss, max((v − R)², (v_clipped − R)²)). The
    /// gradient goes to the larger operand; at a tie each operand gets half, as torch.maximum splits it. NaN in either
    /// operand gives NaN.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, same element count; the result has a's shape.</param>
    public static Tensor Maximum(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"maximum: shapes {a.Shape} and {b.Shape} differ.");
        var output = tape.NewTensor(a.Shape);
        tape.Device.Maximum(a.Data, b.Data, output.Data, a.Length);
        output.RequiresGrad = tape.NeedsGrad(a, b);
        tape.Record(new TapeEntry { Op = SelectBackward.Instance, Input0 = a, Input1 = b, Output = output });
        return output;
    }
}

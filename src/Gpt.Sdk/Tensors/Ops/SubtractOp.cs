namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Elementwise a − b of equal element counts (DPO's log-ratio differences, PPO's advantages and value errors).
    /// Recorded as a + (−1)·b: the two ops already carry the gradient, +dOut to a and −dOut to b.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, same element count; the result has a's shape.</param>
    public static Tensor Subtract(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"subtract: shapes {a.Shape} and {b.Shape} differ.");
        return tape.Add(a, tape.Scale(b, -1f));
    }
}

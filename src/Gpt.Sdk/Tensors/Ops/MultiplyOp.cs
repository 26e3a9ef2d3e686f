namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Elementwise a·b of equal element counts (PPO's ratio·advantage, a mask times a loss).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor, same element count; the result has a's shape.</param>
    public static Tensor Multiply(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"multiply: shapes {a.Shape} and {b.Shape} differ.");
        var output = tape.NewTensor(a.Shape);
        tape.Device.Multiply(a.Data, b.Data, output.Data, a.Length);
        output.RequiresGrad = tape.NeedsGrad(a, b);
        tape.Record(new TapeEntry { Op = MultiplyBackward.Instance, Input0 = a, Input1 = b, Output = output });
        return output;
    }

    private sealed class MultiplyBackward : TapeOp
    {
        public static readonly MultiplyBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dOut = e.Output!.Grad!.Data;
            var a = e.Input0!;
            var b = e.Input1!;
            var dA = tape.GradOf(a);                                               // dA += dOut·b
            if (!dA.IsEmpty) tape.Device.MultiplyAccumulate(dOut, b.Data, dA, a.Length);
            var dB = tape.GradOf(b);                                               // dB += dOut·a (x·x gets both)
            if (!dB.IsEmpty) tape.Device.MultiplyAccumulate(dOut, a.Data, dB, b.Length);
        }
    }
}

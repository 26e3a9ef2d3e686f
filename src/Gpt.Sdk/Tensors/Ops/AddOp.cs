namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Elementwise a + b of equal shapes (the residual connection).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, same element count.</param>
    public static Tensor Add(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"add: shapes {a.Shape} and {b.Shape} differ.");
        var output = tape.NewTensor(a.Shape);
        tape.Device.Add(a.Data, b.Data, output.Data, a.Length);
        output.RequiresGrad = tape.NeedsGrad(a, b);
        tape.Record(new TapeEntry { Op = AddBackward.Instance, Input0 = a, Input1 = b, Output = output });
        return output;
    }

    private sealed class AddBackward : TapeOp
    {
        public static readonly AddBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dOut = e.Output!.Grad!.Data;
            var dA = tape.GradOf(e.Input0);
            if (!dA.IsEmpty) tape.Device.AddInPlace(dA, dOut, dOut.Length);
            var dB = tape.GradOf(e.Input1);
            if (!dB.IsEmpty) tape.Device.AddInPlace(dB, dOut, dOut.Length);
        }
    }
}

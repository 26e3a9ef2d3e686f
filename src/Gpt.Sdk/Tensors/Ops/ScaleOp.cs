namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>y = α·x (LoRA's alpha/r scaling).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    /// <param name="alpha">The factor.</param>
    public static Tensor Scale(this Tape tape, Tensor input, float alpha)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.Scale(input.Data, alpha, output.Data, input.Length);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = ScaleBackward.Instance, Input0 = input, Output = output, Float0 = alpha });
        return output;
    }

    private sealed class ScaleBackward : TapeOp
    {
        public static readonly ScaleBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dInput = tape.GradOf(e.Input0);
            if (dInput.IsEmpty) return;
            var scaled = tape.NewTensor(e.Output!.Shape);                          // dInput += α·dOut
            tape.Device.Scale(e.Output.Grad!.Data, e.Float0, scaled.Data, scaled.Length);
            tape.Device.AddInPlace(dInput, scaled.Data, scaled.Length);
        }
    }
}

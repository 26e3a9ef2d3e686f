namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Elementwise eˣ (PPO's probability ratio exp(log p − log p_old)).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    public static Tensor Exp(this Tape tape, Tensor input)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.Exp(input.Data, output.Data, input.Length);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = ExpBackward.Instance, Input0 = input, Output = output });
        return output;
    }

    private sealed class ExpBackward : TapeOp
    {
        public static readonly ExpBackward Instance = new();

        // d eˣ/dx is eˣ itself: the output, kept rather than recomputed.
        public override bool ReadsOutput => true;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dInput = tape.GradOf(e.Input0);
            if (dInput.IsEmpty) return;
            var output = e.Output!;                                                // dInput += dOut·eˣ
            tape.Device.MultiplyAccumulate(output.Grad!.Data, output.Data, dInput, output.Length);
        }
    }
}

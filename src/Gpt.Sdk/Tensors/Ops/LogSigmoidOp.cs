namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Elementwise log σ(x), computed as min(x, 0) − log1p(e^−|x|) so that it stays finite and exact for
    /// large |x|: DPO's loss is −log σ(β·margin), the reward model's −log σ(r_chosen − r_rejected).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    public static Tensor LogSigmoid(this Tape tape, Tensor input)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.LogSigmoid(input.Data, output.Data, input.Length);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = LogSigmoidBackward.Instance, Input0 = input, Output = output });
        return output;
    }

    private sealed class LogSigmoidBackward : TapeOp
    {
        public static readonly LogSigmoidBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dInput = tape.GradOf(e.Input0);                                    // dInput += dOut·σ(−x)
            if (!dInput.IsEmpty) tape.Device.LogSigmoidBackward(e.Input0!.Data, e.Output!.Grad!.Data, dInput, e.Input0.Length);
        }
    }
}

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Softmax over the innermost dimension, numerically stable.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Scores (…, C).</param>
    public static Tensor Softmax(this Tape tape, Tensor input)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.SoftmaxForward(input.Data, output.Data, input.Shape.Rows, input.Shape.Last);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = SoftmaxBackward.Instance, Input0 = input, Output = output });
        return output;
    }

    private sealed class SoftmaxBackward : TapeOp
    {
        public static readonly SoftmaxBackward Instance = new();

        public override void Backward(Tape tape, in TapeEntry e) =>
            tape.Device.SoftmaxBackward(e.Output!.Data, e.Output.Grad!.Data, tape.GradOf(e.Input0), e.Output.Shape.Rows, e.Output.Shape.Last);
    }
}

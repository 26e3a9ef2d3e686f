namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>GELU, tanh approximation (GPT-2's <c>gelu_new</c>), elementwise.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    public static Tensor Gelu(this Tape tape, Tensor input)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.GeluForward(input.Data, output.Data, input.Length);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = GeluBackward.Instance, Input0 = input, Output = output });
        return output;
    }

    private sealed class GeluBackward : TapeOp
    {
        public static readonly GeluBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e) =>
            tape.Device.GeluBackward(e.Input0!.Data, e.Output!.Grad!.Data, tape.GradOf(e.Input0), e.Input0.Length);
    }
}

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>The mean of all elements, a scalar (a batch's loss from per-pair or per-token losses). Summed on the
    /// device in a fixed order and divided on the host, as <see cref="CrossEntropy"/> is.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape, at least one element.</param>
    public static Tensor Mean(this Tape tape, Tensor input)
    {
        if (input.Length == 0) throw new ArgumentException($"mean: the tensor {input.Shape} is empty; the mean of no elements is undefined.", nameof(input));
        var output = tape.NewTensor(new Shape());
        tape.Device.Fill(output.Data, (float)(tape.Device.Sum(input.Data) / input.Length), 1);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = MeanBackward.Instance, Input0 = input, Output = output });
        return output;
    }

    private sealed class MeanBackward : TapeOp
    {
        public static readonly MeanBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var input = e.Input0!;
            var dInput = tape.GradOf(input);
            if (dInput.IsEmpty) return;
            Span<float> seed = stackalloc float[1];
            tape.Device.Download(e.Output!.Grad!.Data, seed);
            var share = tape.NewTensor(input.Shape);                               // dInput += dOut/n, every element
            tape.Device.Fill(share.Data, seed[0] / input.Length, input.Length);
            tape.Device.AddInPlace(dInput, share.Data, input.Length);
        }
    }
}

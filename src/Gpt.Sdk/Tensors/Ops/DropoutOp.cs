namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Inverted dropout while <see cref="Tape.IsTraining"/>: zeroes each element with probability
    /// <paramref name="p"/> and scales the rest by 1/(1−p); the identity otherwise. The mask is a hash
    /// of (<paramref name="seed"/>, index), so backward regenerates it instead of storing it.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="seed">Mask seed; derive it from (run seed, step, site) for reproducible runs.</param>
    public static Tensor Dropout(this Tape tape, Tensor input, float p, ulong seed)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}.");
        if (!tape.IsTraining || p == 0) return input;
        var output = tape.NewTensor(input.Shape);
        tape.Device.DropoutForward(input.Data, output.Data, input.Length, p, seed);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = DropoutBackward.Instance, Input0 = input, Output = output, Float0 = p, Seed = seed });
        return output;
    }

    private sealed class DropoutBackward : TapeOp
    {
        public static readonly DropoutBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e) =>
            tape.Device.DropoutBackward(e.Output!.Grad!.Data, tape.GradOf(e.Input0), e.Input0!.Length, e.Float0, e.Seed);
    }
}

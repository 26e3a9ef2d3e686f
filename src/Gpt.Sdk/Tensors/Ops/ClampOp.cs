namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Elementwise clamp to [<paramref name="low"/>, <paramref name="high"/>] (PPO's clip(ratio, 1 − ε, 1 + ε)). The
    /// gradient passes where low ≤ x ≤ high, the bounds included, as PyTorch's clamp does, and is zero outside.
    /// Per-element bounds, as in PPO's value clip clip(v, v_old − ε, v_old + ε), are v_old + Clamp(v − v_old, −ε, ε).
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Any shape.</param>
    /// <param name="low">Lower bound; not NaN, may be −∞ (no lower bound).</param>
    /// <param name="high">Upper bound; not NaN, not below <paramref name="low"/>, may be +∞.</param>
    public static Tensor Clamp(this Tape tape, Tensor input, float low, float high)
    {
        var output = tape.NewTensor(input.Shape);
        tape.Device.Clamp(input.Data, low, high, output.Data, input.Length);
        output.RequiresGrad = tape.NeedsGrad(input);
        if (output.RequiresGrad) tape.Record(new TapeEntry { Op = new ClampBackward(low, high), Input0 = input, Output = output });
        return output;
    }

    // The bounds travel in the op itself, its own record, rather than in positional TapeEntry fields: one small
    // allocation per recorded call, a couple per training step.
    private sealed class ClampBackward(float low, float high) : TapeOp
    {
        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var dInput = tape.GradOf(e.Input0);                                    // dInput += dOut where low ≤ x ≤ high
            if (!dInput.IsEmpty) tape.Device.ClampBackward(e.Input0!.Data, low, high, e.Output!.Grad!.Data, dInput, e.Input0.Length);
        }
    }
}

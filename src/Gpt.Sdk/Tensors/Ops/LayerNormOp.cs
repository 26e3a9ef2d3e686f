namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>LayerNorm over the innermost dimension: (x − mean)/sqrt(var + ε)·w + b.</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Input (…, C).</param>
    /// <param name="weight">Gain (C).</param>
    /// <param name="bias">Shift (C).</param>
    /// <param name="epsilon">Added to the variance.</param>
    public static Tensor LayerNorm(this Tape tape, Tensor input, Tensor weight, Tensor bias, float epsilon)
    {
        int cols = input.Shape.Last, rows = input.Shape.Rows;
        if (weight.Length != cols || bias.Length != cols)
            throw new ArgumentException($"layernorm: weight {weight.Shape} and bias {bias.Shape} must have {cols} elements to match input {input.Shape}.");
        var output = tape.NewTensor(input.Shape);
        var mean = tape.NewTensor(new Shape(rows));
        var rstd = tape.NewTensor(new Shape(rows));
        tape.Device.LayerNormForward(input.Data, weight.Data, bias.Data, output.Data, mean.Data, rstd.Data, rows, cols, epsilon);
        output.RequiresGrad = tape.NeedsGrad(input, weight, bias);
        tape.Record(new TapeEntry
        {
            Op = LayerNormBackward.Instance, Input0 = input, Input1 = weight, Input2 = bias, Output = output, Saved0 = mean, Saved1 = rstd,
        });
        return output;
    }

    private sealed class LayerNormBackward : TapeOp
    {
        public static readonly LayerNormBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var input = e.Input0!;
            tape.Device.LayerNormBackward(e.Output!.Grad!.Data, input.Data, e.Input1!.Data, e.Saved0!.Data, e.Saved1!.Data,
                tape.GradOf(input), tape.GradOf(e.Input1), tape.GradOf(e.Input2), input.Shape.Rows, input.Shape.Last);
        }
    }
}

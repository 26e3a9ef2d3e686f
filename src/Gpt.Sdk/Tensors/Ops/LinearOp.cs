using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// y = x·Wᵀ + b: x (…, in), W (out, in) as in <c>nn.Linear</c>, b (out) or none → y (…, out).
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">Input rows, innermost dimension <c>in</c>.</param>
    /// <param name="weight">Weight (out, in).</param>
    /// <param name="bias">Bias (out), or null.</param>
    public static Tensor Linear(this Tape tape, Tensor input, Tensor weight, Tensor? bias)
    {
        int inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (weight.Shape.Rank != 2 || input.Shape.Last != inFeatures)
            throw new ArgumentException($"linear: input {input.Shape} does not match weight {weight.Shape} (expected innermost size {inFeatures}).");
        if (bias is not null && bias.Length != outFeatures)
            throw new ArgumentException($"linear: bias {bias.Shape} does not match {outFeatures} output features.");
        int rows = input.Shape.Rows;
        var output = tape.NewTensor(input.Shape.WithLast(outFeatures));
        // (rows, out) = (rows, in) · (out, in)ᵀ + bias
        tape.Device.MatMul(input.Data, weight.Data, output.Data, rows, outFeatures, inFeatures,
            transA: false, transB: true, alpha: 1f, beta: 0f, bias: bias?.Data ?? Slice<float>.Empty);
        output.RequiresGrad = tape.NeedsGrad(input, weight, bias);
        tape.Record(new TapeEntry { Op = LinearBackward.Instance, Input0 = input, Input1 = weight, Input2 = bias, Output = output });
        return output;
    }

    private sealed class LinearBackward : TapeOp
    {
        public static readonly LinearBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            Tensor input = e.Input0!, weight = e.Input1!, output = e.Output!;
            int rows = input.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
            var dOut = output.Grad!.Data;
            var device = tape.Device;
            var dInput = tape.GradOf(input);
            if (!dInput.IsEmpty) // (rows, in) += (rows, out) · (out, in)
                device.MatMul(dOut, weight.Data, dInput, rows, inFeatures, outFeatures, false, false, 1f, 1f, Slice<float>.Empty);
            var dWeight = tape.GradOf(weight);
            if (!dWeight.IsEmpty) // (out, in) += (rows, out)ᵀ · (rows, in)
                device.MatMul(dOut, input.Data, dWeight, outFeatures, inFeatures, rows, true, false, 1f, 1f, Slice<float>.Empty);
            var dBias = tape.GradOf(e.Input2);
            if (!dBias.IsEmpty) device.ColumnSum(dOut, dBias, rows, outFeatures);
        }
    }
}

using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// y = addend + α·x·Wᵀ: x (…, in), W (out, in), addend (…, out) → y (…, out), as one GEMM accumulating onto a copy of
    /// the addend. This is LoRA's update s·B·(A·x) added to the base layer's output: <see cref="Linear"/>,
    /// <see cref="Scale"/> and <see cref="Add"/> in a row would each keep a (…, out) tensor and, in backward, a gradient
    /// of it, several times the layer's own activation memory at every adapted layer.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="addend">What the product is added to (…, out).</param>
    /// <param name="input">Input rows, innermost dimension <c>in</c>.</param>
    /// <param name="weight">Weight (out, in).</param>
    /// <param name="alpha">The product's factor.</param>
    public static Tensor AddLinear(this Tape tape, Tensor addend, Tensor input, Tensor weight, float alpha)
    {
        int inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (weight.Shape.Rank != 2 || input.Shape.Last != inFeatures)
            throw new ArgumentException($"add linear: input {input.Shape} does not match weight {weight.Shape} (expected innermost size {inFeatures}).");
        int rows = input.Shape.Rows;
        if (addend.Shape.Last != outFeatures || addend.Length != (long)rows * outFeatures)
            throw new ArgumentException($"add linear: addend {addend.Shape} does not match {rows} rows of {outFeatures} output features.");
        var output = tape.NewTensor(addend.Shape);
        tape.Device.Copy(addend.Data, output.Data, addend.Length);
        // (rows, out) += α·(rows, in)·(out, in)ᵀ
        tape.Device.MatMul(input.Data, weight.Data, output.Data, rows, outFeatures, inFeatures,
            transA: false, transB: true, alpha: alpha, beta: 1f, bias: Slice<float>.Empty);
        output.RequiresGrad = tape.NeedsGrad(addend, input, weight);
        tape.Record(new TapeEntry { Op = AddLinearBackward.Instance, Input0 = input, Input1 = weight, Input2 = addend, Output = output, Float0 = alpha });
        return output;
    }

    private sealed class AddLinearBackward : TapeOp
    {
        public static readonly AddLinearBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            Tensor input = e.Input0!, weight = e.Input1!, addend = e.Input2!, output = e.Output!;
            int rows = input.Shape.Rows, inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
            float alpha = e.Float0;
            var dOut = output.Grad!.Data;
            var device = tape.Device;
            var dInput = tape.GradOf(input);
            if (!dInput.IsEmpty) // (rows, in) += α·(rows, out)·(out, in)
                device.MatMul(dOut, weight.Data, dInput, rows, inFeatures, outFeatures, false, false, alpha, 1f, Slice<float>.Empty);
            var dWeight = tape.GradOf(weight);
            if (!dWeight.IsEmpty) // (out, in) += α·(rows, out)ᵀ·(rows, in)
                device.MatMul(dOut, input.Data, dWeight, outFeatures, inFeatures, rows, true, false, alpha, 1f, Slice<float>.Empty);
            if (!addend.RequiresGrad) return;
            // The addend's gradient is dOut itself. With none yet, it shares dOut's buffer instead of a copy: every op that
            // reads dOut has run (they were recorded after this one), and an op recorded earlier that adds to the addend's
            // gradient later adds to a buffer nobody reads as dOut any more.
            if (addend.Grad is null) addend.Grad = output.Grad;
            else device.AddInPlace(addend.Grad.Data, dOut, output.Length);
        }
    }
}

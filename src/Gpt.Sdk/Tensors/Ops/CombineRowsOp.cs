using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Weighted sums of rows: output (N, C) = weights (N, R) · input (R, C), for input (…, C) viewed as (R, C). With
    /// weights 1/count on a sequence's real tokens and 0 elsewhere it is mean pooling of hidden states (an embedding's
    /// pooling); any fixed mix of rows works. One GEMM each way, so it runs wherever the device's matrix product does.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="weights">(N, R), a constant (it gets no gradient, so one that requires one is refused).</param>
    /// <param name="input">(…, C), viewed as (R, C).</param>
    public static Tensor CombineRows(this Tape tape, Tensor weights, Tensor input)
    {
        int rows = input.Shape.Rows, cols = input.Shape.Last;
        if (weights.Shape.Rank != 2 || weights.Shape[1] != rows)
            throw new ArgumentException($"combine rows: weights {weights.Shape} do not mix the {rows} rows of {input.Shape}; give (N, {rows}).");
        if (tape.NeedsGrad(weights))
            throw new ArgumentException("combine rows: the weights require a gradient, which this op does not compute; pass a constant.", nameof(weights));
        int n = weights.Shape[0];
        var output = tape.NewTensor(new Shape(n, cols));
        // (N, C) = (N, R) · (R, C)
        tape.Device.MatMul(weights.Data, input.Data, output.Data, n, cols, rows, transA: false, transB: false, alpha: 1f, beta: 0f, bias: Slice<float>.Empty);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = CombineRowsBackward.Instance, Input0 = input, Input1 = weights, Output = output });
        return output;
    }

    private sealed class CombineRowsBackward : TapeOp
    {
        public static readonly CombineRowsBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e)
        {
            Tensor input = e.Input0!, weights = e.Input1!;
            var dInput = tape.GradOf(input);
            if (dInput.IsEmpty) return;
            int rows = input.Shape.Rows, cols = input.Shape.Last, n = weights.Shape[0];
            // (R, C) += (N, R)ᵀ · (N, C)
            tape.Device.MatMul(weights.Data, e.Output!.Grad!.Data, dInput, rows, cols, n, transA: true, transB: false, alpha: 1f, beta: 1f, bias: Slice<float>.Empty);
        }
    }
}

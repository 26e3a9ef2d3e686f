namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Picks rows of (…, C) by flat row index: output (N, C) with row i = input row rows[i] (the last token of each
    /// sequence for decoding, a scalar head's position, a pooling position). Backward scatters the rows' gradients back.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">(…, C), viewed as (R, C).</param>
    /// <param name="rows">N row indices in [0, R).</param>
    public static Tensor SelectRows(this Tape tape, Tensor input, IndexTensor rows)
    {
        int width = input.Shape.Last, count = input.Shape.Rows;
        var output = tape.NewTensor(new Shape(rows.Count, width));
        tape.Device.EmbeddingForward(rows.Data, input.Data, output.Data, rows.Count, width, count);
        output.RequiresGrad = tape.NeedsGrad(input);
        tape.Record(new TapeEntry { Op = SelectRowsBackward.Instance, Input0 = input, Indices = rows, Output = output });
        return output;
    }

    private sealed class SelectRowsBackward : TapeOp
    {
        public static readonly SelectRowsBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e) =>
            tape.Device.EmbeddingBackward(e.Indices!.Data, e.Output!.Grad!.Data, tape.GradOf(e.Input0), e.Indices.Count, e.Input0!.Shape.Last);
    }
}

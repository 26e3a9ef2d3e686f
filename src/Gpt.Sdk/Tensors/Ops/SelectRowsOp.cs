namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Picks rows of (…, C) by flat row index: output (N, C) with row i = input row rows[i] (the last token of each
    /// sequence for decoding, a scalar head's position, a pooling position). It is an embedding lookup whose table is
    /// the input, so backward scatters the rows' gradients back into the input's.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="input">(…, C), viewed as (R, C).</param>
    /// <param name="rows">N row indices in [0, R).</param>
    public static Tensor SelectRows(this Tape tape, Tensor input, IndexTensor rows) =>
        tape.Embedding(rows, input, new Shape(rows.Count, input.Shape.Last));
}

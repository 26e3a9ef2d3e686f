namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>Looks up rows of <paramref name="table"/> (…, C), viewed as (rows, C): output (ids…, C).</summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="ids">Row indices, each in [0, rows).</param>
    /// <param name="table">The embedding table.</param>
    /// <param name="outputShape">Shape of the result; its element count must be ids × C.</param>
    public static Tensor Embedding(this Tape tape, IndexTensor ids, Tensor table, Shape outputShape)
    {
        int dim = table.Shape.Last, rows = table.Shape.Rows;
        if (outputShape.Last != dim || outputShape.ElementCount != (long)ids.Count * dim)
            throw new ArgumentException($"embedding: output shape {outputShape} does not hold {ids.Count} rows of {dim}.");
        var output = tape.NewTensor(outputShape);
        tape.Device.EmbeddingForward(ids.Data, table.Data, output.Data, ids.Count, dim, rows);
        output.RequiresGrad = tape.NeedsGrad(table);
        tape.Record(new TapeEntry { Op = EmbeddingBackward.Instance, Input0 = table, Indices = ids, Output = output });
        return output;
    }

    private sealed class EmbeddingBackward : TapeOp
    {
        public static readonly EmbeddingBackward Instance = new();

        public override bool ReadsOutput => false;

        public override void Backward(Tape tape, in TapeEntry e) =>
            tape.Device.EmbeddingBackward(e.Indices!.Data, e.Output!.Grad!.Data, tape.GradOf(e.Input0), e.Indices.Count, e.Input0!.Shape.Last);
    }
}

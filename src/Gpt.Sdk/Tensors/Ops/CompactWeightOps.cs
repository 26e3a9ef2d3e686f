namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>y = x·Wᵀ + b with W (out, in) held compact (bf16 or int8): inference only, so nothing upstream may
    /// need a gradient.</summary>
    internal static Tensor CompactLinear(this Tape tape, Tensor input, CompactMatrix weight, Tensor? bias)
    {
        if (input.Shape.Last != weight.Cols)
            throw new ArgumentException($"linear: input {input.Shape} does not match a compact weight of ({weight.Rows}, {weight.Cols}).");
        if (bias is not null && bias.Length != weight.Rows)
            throw new ArgumentException($"linear: bias {bias.Shape} does not match {weight.Rows} output features.");
        if (tape.NeedsGrad(input, bias)) throw CompactWeightsCannotTrain();
        var output = tape.NewTensor(input.Shape.WithLast(weight.Rows));
        weight.MatMul(input.Data, output.Data, input.Shape.Rows, bias?.Data ?? Kernels.Devices.Slice<float>.Empty);  // (rows, out)
        return output;
    }

    /// <summary>Rows of a compact table (rows, C): output (ids…, C), with no gradient.</summary>
    internal static Tensor CompactEmbedding(this Tape tape, IndexTensor ids, CompactMatrix table, Shape outputShape)
    {
        if (outputShape.Last != table.Cols || outputShape.ElementCount != (long)ids.Count * table.Cols)
            throw new ArgumentException($"embedding: output shape {outputShape} does not hold {ids.Count} rows of {table.Cols}.");
        var output = tape.NewTensor(outputShape);
        table.Lookup(ids.Data, output.Data, ids.Count);
        return output;
    }

    private static InvalidOperationException CompactWeightsCannotTrain() =>
        new("this model holds bf16 or int8 weights, which serve inference only: no gradient flows through them, so neither the model " +
            "nor a LoRA adapter on it can be trained. Load the model with fp32 weights (WeightStorage.Float32) to train or fine-tune it.");
}

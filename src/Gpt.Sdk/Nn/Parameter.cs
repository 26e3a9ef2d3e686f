using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>A named tensor of a <see cref="ParameterSegment"/>: a view into the segment's value buffer, with
/// its gradient a view at the same offset of the segment's gradient buffer while the segment is trainable.
/// How it is initialised and how it is stored in files are declared with it.</summary>
public sealed class Parameter
{
    internal Parameter(ParameterSegment segment, string name, Shape shape, long offset, ParameterInit init, bool storedTransposed, bool decays)
    {
        Segment = segment;
        Name = name;
        Value = new Tensor(shape, default);
        Offset = offset;
        Init = init;
        StoredTransposed = storedTransposed;
        Decays = decays;
    }

    /// <summary>The key, e.g. <c>h.0.attn.c_attn.weight</c> (Hugging Face GPT-2's, without <c>transformer.</c>).</summary>
    public string Name { get; }

    /// <summary>The segment the parameter lives in.</summary>
    public ParameterSegment Segment { get; }

    /// <summary>The values; <see cref="Tensor.Grad"/> is the accumulated gradient while the segment is trainable.</summary>
    public Tensor Value { get; }

    /// <summary>Dimensions of the value.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>Position of the first element in the segment's buffers; −1 once the values are held compact instead
    /// (<see cref="WeightStorage"/>).</summary>
    public long Offset { get; internal set; }

    /// <summary>The values held as bf16 or int8 for inference, when the model's <see cref="WeightStorage"/> is compact and this is
    /// one of its large matrices; <see cref="Value"/> then holds no memory.</summary>
    internal CompactMatrix? Compact { get; set; }

    /// <summary>Bytes the values occupy on their device: 4 a value in fp32, or the compact storage's size (bf16 values,
    /// or int8 values with their block scales) when <see cref="WeightStorage"/> holds this matrix compact.</summary>
    public long StorageBytes => Compact?.Bytes ?? Shape.ElementCount * sizeof(float);

    /// <summary>How the parameter is initialised.</summary>
    public ParameterInit Init { get; }

    /// <summary>True when files store this (out, in) matrix transposed, as (in, out): GPT-2's <c>Conv1D</c> layers.</summary>
    public bool StoredTransposed { get; }

    /// <summary>Whether AdamW applies weight decay (matrices and embeddings yes, biases and norms no).</summary>
    public bool Decays { get; }

    /// <summary>True while the segment is frozen: no gradient, no optimizer update.</summary>
    public bool Frozen => !Segment.Trainable;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Shape}";
}

using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>A named, trainable tensor: a view into its collection's value buffer, with its gradient a
/// view at the same offset of the gradient buffer.</summary>
public sealed class Parameter
{
    internal Parameter(string name, Tensor value, long offset)
    {
        Name = name;
        Value = value;
        Offset = offset;
    }

    /// <summary>The Hugging Face style key, e.g. <c>h.0.attn.c_attn.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The values; <see cref="Tensor.Grad"/> is the accumulated gradient.</summary>
    public Tensor Value { get; }

    /// <summary>Dimensions of the value.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>Position of the first element in the collection's buffers.</summary>
    public long Offset { get; }

    /// <summary>Whether AdamW applies weight decay: matrices and embeddings yes, biases and norms no.</summary>
    public bool Decays => Value.Shape.Rank >= 2;

    /// <summary>A frozen parameter gets no gradient and no optimizer update (LoRA freezes the base model).</summary>
    public bool Frozen
    {
        get => !Value.RequiresGrad;
        set => Value.RequiresGrad = !value;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Shape}";
}

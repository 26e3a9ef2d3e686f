namespace Gpt.Sdk.Tensors;

/// <summary>The backward half of a differentiable op. Most ops are stateless singletons and what one call needs
/// for its backward pass is stored in its <see cref="TapeEntry"/>; an op with scalar arguments of its own (a
/// clamp's bounds) is instead a small instance per call that holds them, rather than another positional field.</summary>
internal abstract class TapeOp
{
    /// <summary>Adds this call's contribution to the gradients of its inputs.</summary>
    public abstract void Backward(Tape tape, in TapeEntry entry);

    /// <summary>Whether <see cref="Backward"/> reads the output's values (softmax and attention do), so another op
    /// must not overwrite them before this backward has run.</summary>
    public virtual bool ReadsOutput => true;
}

/// <summary>One recorded op call: its inputs, output, saved tensors and scalar arguments. A struct in
/// a reused array, so recording allocates nothing.</summary>
internal struct TapeEntry
{
    public TapeOp Op;
    public Tensor? Input0, Input1, Input2, Output, Saved0, Saved1;
    public IndexTensor? Indices;
    public int Int0, Int1, Int2, Int3;
    public float Float0;
    public ulong Seed;
}

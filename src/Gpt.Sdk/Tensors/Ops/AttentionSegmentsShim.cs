namespace Gpt.Sdk.Tensors;

// TEMPORARY until the segment-aware attention kernels land (branch kernels).
public static partial class TensorOps
{
    /// <summary>Temporary.</summary>
    public static Tensor CausalSelfAttention(this Tape tape, Tensor qkv, int heads, IndexTensor? segmentStarts) =>
        segmentStarts is null ? tape.CausalSelfAttention(qkv, heads) : throw new NotSupportedException("packed attention is not merged yet");
}

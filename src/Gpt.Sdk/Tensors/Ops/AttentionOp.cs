using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

public static partial class TensorOps
{
    /// <summary>
    /// Causal multi-head self-attention on packed projections: qkv (B, T, 3C) → (B, T, C). The kernel
    /// is fused (online softmax); only the per-row log-sum-exp (B, NH, T) is kept for backward.
    /// </summary>
    /// <param name="tape">The tape recording the call.</param>
    /// <param name="qkv">Queries, keys and values side by side, (B, T, 3C).</param>
    /// <param name="heads">Number of heads NH; C must be a multiple of it.</param>
    /// <param name="segmentStarts">For rows that pack several examples: (B·T) the index within its row of the first
    /// position of each position's example, so a token attends only to earlier tokens of its own example (see
    /// <see cref="Device.AttentionForward"/>). Null: plain causal attention over the whole row. Kept for backward,
    /// so it must not change until then.</param>
    public static Tensor CausalSelfAttention(this Tape tape, Tensor qkv, int heads, IndexTensor? segmentStarts = null)
    {
        if (qkv.Shape.Rank != 3 || qkv.Shape[2] % (3 * heads) != 0)
            throw new ArgumentException($"attention: qkv must be (B, T, 3C) with C divisible by {heads} heads, got {qkv.Shape}.");
        int b = qkv.Shape[0], t = qkv.Shape[1], c = qkv.Shape[2] / 3;
        var output = tape.NewTensor(new Shape(b, t, c));
        var logSumExp = tape.NewTensor(new Shape(b, heads, t));
        tape.Device.AttentionForward(qkv.Data, output.Data, logSumExp.Data, b, t, heads, c / heads, segmentStarts?.Data ?? Slice<int>.Empty);
        output.RequiresGrad = tape.NeedsGrad(qkv);
        tape.Record(new TapeEntry
        {
            Op = AttentionBackward.Instance, Input0 = qkv, Output = output, Saved0 = logSumExp, Indices = segmentStarts, Int0 = heads,
        });
        return output;
    }

    private sealed class AttentionBackward : TapeOp
    {
        public static readonly AttentionBackward Instance = new();

        public override void Backward(Tape tape, in TapeEntry e)
        {
            var qkv = e.Input0!;
            int b = qkv.Shape[0], t = qkv.Shape[1], c = qkv.Shape[2] / 3, heads = e.Int0;
            tape.Device.AttentionBackward(e.Output!.Grad!.Data, qkv.Data, e.Output.Data, e.Saved0!.Data, tape.GradOf(qkv), b, t, heads, c / heads,
                e.Indices?.Data ?? Slice<int>.Empty);
        }
    }
}

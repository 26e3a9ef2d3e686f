using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Causal multi-head self-attention, fused, the reference version. The forward pass keeps an online
/// softmax (running maximum and denominator) per query, so the (T, T) score matrix never exists;
/// the backward pass recomputes each probability from q, k and the saved log-sum-exp, in a query pass (dQ) and a
/// key pass (dK, dV). These are <see cref="Gpu.AttentionGpuKernels"/>' one-thread-per-query/key bodies run on the CPU.
/// </summary>
/// <remarks>
/// Shapes: B batch, T sequence length, NH heads, HS head size, C = NH * HS.
/// qkv (B, T, 3C): per position q = [0, C), k = [C, 2C), v = [2C, 3C); head h owns columns
/// h*HS .. h*HS + HS - 1 of each. Position t attends to positions 0..t. Scores are scaled by 1/sqrt(HS).
/// <para>Packed fine-tuning batches put several examples one after another in a row; segmentStarts (B, T) then
/// holds, for each position, the index within its row of its example's first position, and position t attends
/// only to positions segmentStarts[b, t]..t. Empty segmentStarts is plain causal attention (every start 0, the same
/// bits). Each start must be t (an example begins) or the previous position's start (the same example); anything
/// else is refused with an <see cref="ArgumentOutOfRangeException"/> naming segmentStarts.</para>
/// </remarks>
internal static class AttentionKernels
{
    /// <summary>output[b, t, head h] = sum over s &lt;= t (and s &gt;= segmentStarts[b, t]) of softmax_s(q_t · k_s / sqrt(HS)) v_s.</summary>
    /// <param name="qkv">(B, T, 3C) queries, keys and values.</param>
    /// <param name="output">(B, T, C) the heads' outputs, concatenated in column order.</param>
    /// <param name="logSumExp">(B, NH, T) log of each query's softmax denominator, saved for the backward pass.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    /// <param name="segmentStarts">Empty for plain causal attention, or (B, T) the first position of each position's
    /// packed example (see the remarks).</param>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> logSumExp,
        int batch, int seqLen, int heads, int headSize, ReadOnlySpan<int> segmentStarts = default)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.SegmentStarts(segmentStarts, batch, seqLen);
        int queries = batch * heads * seqLen;
        if (queries == 0) return;
        AttentionGpuKernels.ForwardKernel.LaunchCpu(ReferenceLaunch.Groups(queries), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(qkv), output, logSumExp, ReferenceLaunch.Writable(segmentStarts), batch, seqLen, heads, headSize);
    }

    /// <summary>Back-propagates through <see cref="Forward"/>, accumulating (+=) into dQkv.</summary>
    /// <param name="dOutput">(B, T, C) gradient with respect to the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward input.</param>
    /// <param name="output">(B, T, C) the forward output.</param>
    /// <param name="logSumExp">(B, NH, T) saved by the forward pass.</param>
    /// <param name="dQkv">(B, T, 3C) accumulates the gradients of q, k and v.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    /// <param name="segmentStarts">The forward pass's segment starts: empty, or (B, T).</param>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> qkv, ReadOnlySpan<float> output,
        ReadOnlySpan<float> logSumExp, Span<float> dQkv, int batch, int seqLen, int heads, int headSize,
        ReadOnlySpan<int> segmentStarts = default)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.Length(dOutput.Length, (long)batch * seqLen * heads * headSize, nameof(dOutput), "batch × seqLen × heads × headSize");
        KernelGuards.Length(dQkv.Length, (long)batch * seqLen * 3 * heads * headSize, nameof(dQkv), "batch × seqLen × 3 × heads × headSize");
        KernelGuards.SegmentStarts(segmentStarts, batch, seqLen);
        int queries = batch * heads * seqLen;
        if (queries == 0) return;
        // Two race-free passes: each query's dQ, then each key's dK and dV (both in the reference's order).
        AttentionGpuKernels.BackwardQueryKernel.LaunchCpu(ReferenceLaunch.Groups(queries), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(dOutput), ReferenceLaunch.Writable(qkv), ReferenceLaunch.Writable(output),
            ReferenceLaunch.Writable(logSumExp), dQkv, ReferenceLaunch.Writable(segmentStarts), batch, seqLen, heads, headSize);
        AttentionGpuKernels.BackwardKeyValueKernel.LaunchCpu(ReferenceLaunch.Groups(queries), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(dOutput), ReferenceLaunch.Writable(qkv), ReferenceLaunch.Writable(output),
            ReferenceLaunch.Writable(logSumExp), dQkv, ReferenceLaunch.Writable(segmentStarts), batch, seqLen, heads, headSize);
    }
}

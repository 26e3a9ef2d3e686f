using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Causal self-attention for GPU devices, flash-style: scores are never stored. qkv is (B, T, 3C) with
/// C = NH·HS; output (B, T, C); logSumExp (B, NH, T). Forward: one thread per (b, h, t) query, an online
/// softmax over keys s ≤ t accumulating into its own output row. Backward recomputes each probability from
/// q, k and the saved logSumExp, in two race-free passes: one thread per query adds dQ; one thread per key
/// adds dK and dV over the queries t ≥ s that see it. Every sum runs in a fixed order: no atomics.
/// Launch each with ⌈B·NH·T / groupSize⌉ groups.
/// </summary>
internal static partial class AttentionGpuKernels
{
    /// <summary>output = softmax(q·kᵀ/√HS, causal)·v; saves logSumExp per query.</summary>
    /// <param name="qkv">(B, T, 3C) queries, keys, values.</param>
    /// <param name="output">(B, T, C) attended values.</param>
    /// <param name="logSumExp">(B, NH, T) log of each query's softmax denominator (scaled scores).</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> qkv, ArrayView<float> output, ArrayView<float> logSumExp,
        int batch, int seqLen, int heads, int headSize)
    {
        int index = Grid.GlobalIndex.X; // (b, h, t) flattened, t fastest
        if (index >= batch * heads * seqLen) return;
        int t = index % seqLen, h = index / seqLen % heads, b = index / seqLen / heads;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        var q = qkv.SubView((b * seqLen + t) * 3 * C + h * headSize, headSize); // (HS)
        var o = output.SubView((b * seqLen + t) * C + h * headSize, headSize);  // (HS), the accumulator
        for (int d = 0; d < headSize; d++) o[d] = 0f;
        float max = float.NegativeInfinity, denominator = 0f;
        for (int s = 0; s <= t; s++)
        {
            int key = (b * seqLen + s) * 3 * C + h * headSize;
            float score = 0f;
            for (int d = 0; d < headSize; d++) score += q[d] * qkv[key + C + d];
            score *= scale;
            // Online softmax: rescale what has been summed so far to the new running maximum.
            float newMax = KernelMath.Max(max, score);
            float correction = KernelMath.Exp(max - newMax);
            float p = KernelMath.Exp(score - newMax);
            denominator = denominator * correction + p;
            for (int d = 0; d < headSize; d++) o[d] = o[d] * correction + p * qkv[key + 2 * C + d];
            max = newMax;
        }
        float inverse = 1f / denominator;
        for (int d = 0; d < headSize; d++) o[d] *= inverse;
        logSumExp[index] = max + KernelMath.Log(denominator);
    }

    /// <summary>dQ += Σ_{s ≤ t} dScore(t, s)·k_s; one thread per query.</summary>
    /// <param name="dOutput">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward input.</param>
    /// <param name="output">(B, T, C) the forward output.</param>
    /// <param name="logSumExp">(B, NH, T) from the forward pass.</param>
    /// <param name="dQkv">(B, T, 3C) accumulates; this pass writes the query thirds.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void BackwardQuery(ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> output,
        ArrayView<float> logSumExp, ArrayView<float> dQkv, int batch, int seqLen, int heads, int headSize)
    {
        int index = Grid.GlobalIndex.X;
        if (index >= batch * heads * seqLen) return;
        int t = index % seqLen, h = index / seqLen % heads, b = index / seqLen / heads;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        int query = (b * seqLen + t) * 3 * C + h * headSize;
        int row = (b * seqLen + t) * C + h * headSize;
        float rowDot = RowDot(dOutput, output, row, headSize);
        float lse = logSumExp[index];
        for (int s = 0; s <= t; s++)
        {
            int key = (b * seqLen + s) * 3 * C + h * headSize;
            float dScore = ScoreGradient(qkv, dOutput, query, key, row, C, headSize, scale, lse, rowDot);
            for (int d = 0; d < headSize; d++) dQkv[query + d] += dScore * qkv[key + C + d];
        }
    }

    /// <summary>dK += Σ_{t ≥ s} dScore(t, s)·q_t and dV += Σ_{t ≥ s} p(t, s)·dO_t; one thread per key.</summary>
    /// <param name="dOutput">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward input.</param>
    /// <param name="output">(B, T, C) the forward output.</param>
    /// <param name="logSumExp">(B, NH, T) from the forward pass.</param>
    /// <param name="dQkv">(B, T, 3C) accumulates; this pass writes the key and value thirds.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void BackwardKeyValue(ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> output,
        ArrayView<float> logSumExp, ArrayView<float> dQkv, int batch, int seqLen, int heads, int headSize)
    {
        int index = Grid.GlobalIndex.X;
        if (index >= batch * heads * seqLen) return;
        int s = index % seqLen, h = index / seqLen % heads, b = index / seqLen / heads;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        int key = (b * seqLen + s) * 3 * C + h * headSize;
        for (int t = s; t < seqLen; t++)
        {
            int query = (b * seqLen + t) * 3 * C + h * headSize;
            int row = (b * seqLen + t) * C + h * headSize;
            float lse = logSumExp[index - s + t];
            float rowDot = RowDot(dOutput, output, row, headSize);
            float score = 0f;
            for (int d = 0; d < headSize; d++) score += qkv[query + d] * qkv[key + C + d];
            float p = KernelMath.Exp(score * scale - lse);
            float dScore = ScoreGradient(qkv, dOutput, query, key, row, C, headSize, scale, lse, rowDot);
            for (int d = 0; d < headSize; d++)
            {
                dQkv[key + C + d] += dScore * qkv[query + d];
                dQkv[key + 2 * C + d] += p * dOutput[row + d];
            }
        }
    }

    /// <summary>dO_t · o_t = Σ_s p(t, s)·(dO_t · v_s): the softmax backward's row term, without a pass over keys.</summary>
    private static float RowDot(ArrayView<float> dOutput, ArrayView<float> output, int row, int headSize)
    {
        float dot = 0f;
        for (int d = 0; d < headSize; d++) dot += dOutput[row + d] * output[row + d];
        return dot;
    }

    /// <summary>The gradient of the unscaled score q_t · k_s: p·(dO_t · v_s − rowDot)·scale.</summary>
    private static float ScoreGradient(ArrayView<float> qkv, ArrayView<float> dOutput, int query, int key, int row, int C,
        int headSize, float scale, float lse, float rowDot)
    {
        float score = 0f, dp = 0f;
        for (int d = 0; d < headSize; d++)
        {
            score += qkv[query + d] * qkv[key + C + d];
            dp += dOutput[row + d] * qkv[key + 2 * C + d];
        }
        float p = KernelMath.Exp(score * scale - lse);
        return p * (dp - rowDot) * scale;
    }
}

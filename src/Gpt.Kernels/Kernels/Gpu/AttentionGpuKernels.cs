using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Causal self-attention for GPU devices, flash-style: scores are never stored (no T×T matrix anywhere). qkv is (B, T, 3C) with
/// C = NH·HS; output (B, T, C); logSumExp (B, NH, T). Forward: one thread per (b, h, t) query, an online
/// softmax over keys s ≤ t accumulating into its own output row — the reference; devices launch
/// <see cref="ForwardTiled"/>, the same per query with keys and values staged in shared memory. Backward recomputes each probability from
/// q, k and the saved logSumExp, in two race-free passes: one thread per query adds dQ; one thread per key
/// adds dK and dV over the queries t ≥ s that see it. Every sum runs in a fixed order: no atomics.
/// Launch each with ⌈B·NH·T / groupSize⌉ groups.
/// </summary>
/// <remarks>
/// segmentStarts is empty (plain causal attention) or (B, T): the first position of the packed example each
/// position belongs to, so query t sees keys segmentStarts[b, t] ≤ s ≤ t. Examples lie one after another, so
/// the queries that see key s are s, s + 1, … up to the first whose example starts after s. The starts live in
/// device memory and are not checked: each is clamped to [0, t] (no read leaves the row), and starts that do not
/// describe consecutive examples give wrong, but finite, results.
/// </remarks>
internal static partial class AttentionGpuKernels
{
    /// <summary>output = softmax(q·kᵀ/√HS, causal, within each example)·v; saves logSumExp per query.</summary>
    /// <param name="qkv">(B, T, 3C) queries, keys, values.</param>
    /// <param name="output">(B, T, C) attended values.</param>
    /// <param name="logSumExp">(B, NH, T) log of each query's softmax denominator (scaled scores).</param>
    /// <param name="segmentStarts">Empty, or (B, T) each position's example start.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> qkv, ArrayView<float> output, ArrayView<float> logSumExp,
        ArrayView<int> segmentStarts, int batch, int seqLen, int heads, int headSize)
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
        for (int s = FirstKey(segmentStarts, b * seqLen + t, t); s <= t; s++)
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

    /// <summary>Queries per group of <see cref="ForwardTiled"/> (one thread each), also keys per staged tile.</summary>
    internal const int QueryTile = 16;

    /// <summary>The largest head size <see cref="ForwardTiled"/>'s shared tiles hold; larger heads use <see cref="Forward"/>.</summary>
    internal const int MaxHeadSize = 64; // GPT-2 of every size: 16 KB of shared memory for the four tiles

    /// <summary><see cref="Forward"/>, tiled as flash attention: a group of <see cref="QueryTile"/> threads takes that many
    /// consecutive queries of one (b, h); keys and values come through shared memory a tile at a time (each read
    /// from global memory once per group, not once per query), and the queries' running outputs stay in shared
    /// memory. Per query, keys and dimensions are added in the same order as <see cref="Forward"/>.
    /// Launch: groups (⌈T / QueryTile⌉, NH, B), group size <see cref="QueryTile"/>; headSize ≤ <see cref="MaxHeadSize"/>.</summary>
    /// <param name="qkv">(B, T, 3C) queries, keys, values.</param>
    /// <param name="output">(B, T, C) attended values.</param>
    /// <param name="logSumExp">(B, NH, T) log of each query's softmax denominator (scaled scores).</param>
    /// <param name="segmentStarts">Empty, or (B, T) each position's example start.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void ForwardTiled(ArrayView<float> qkv, ArrayView<float> output, ArrayView<float> logSumExp,
        ArrayView<int> segmentStarts, int batch, int seqLen, int heads, int headSize)
    {
        var qTile = SharedMemory.Allocate<float>(QueryTile * MaxHeadSize); // (QueryTile, HS) this group's queries
        var kTile = SharedMemory.Allocate<float>(QueryTile * MaxHeadSize); // (QueryTile, HS) keys being visited
        var vTile = SharedMemory.Allocate<float>(QueryTile * MaxHeadSize); // (QueryTile, HS) their values
        var oTile = SharedMemory.Allocate<float>(QueryTile * MaxHeadSize); // (QueryTile, HS) running outputs
        int thread = Group.IdxX;
        int first = Grid.IdxX * QueryTile, h = Grid.IdxY, b = Grid.IdxZ;
        int t = first + thread;
        bool active = t < seqLen;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        int row = thread * MaxHeadSize;
        if (active)
        {
            int query = (b * seqLen + t) * 3 * C + h * headSize;
            for (int d = 0; d < headSize; d++)
            {
                qTile[row + d] = qkv[query + d];
                oTile[row + d] = 0f;
            }
        }
        float max = float.NegativeInfinity, denominator = 0f;
        int lastKey = KernelMath.Min(seqLen - 1, first + QueryTile - 1); // the tile's last query sees keys up to itself
        // The tile's first query has the lowest start (examples lie one after another): no earlier key is visited.
        int firstKey = FirstKey(segmentStarts, b * seqLen + first, first);
        int ownFirstKey = active ? FirstKey(segmentStarts, b * seqLen + t, t) : 0;
        for (int keyStart = firstKey; keyStart <= lastKey; keyStart += QueryTile)
        {
            int s = keyStart + thread;
            if (s <= lastKey)
            {
                int key = (b * seqLen + s) * 3 * C + h * headSize;
                for (int d = 0; d < headSize; d++)
                {
                    kTile[row + d] = qkv[key + C + d];
                    vTile[row + d] = qkv[key + 2 * C + d];
                }
            }
            Group.Barrier();
            int keys = active ? KernelMath.Min(QueryTile, t - keyStart + 1) : 0; // causal: keys up to t
            for (int j = KernelMath.Max(0, ownFirstKey - keyStart); j < keys; j++)
            {
                float score = 0f;
                for (int d = 0; d < headSize; d++) score += qTile[row + d] * kTile[j * MaxHeadSize + d];
                score *= scale;
                // Online softmax: rescale what has been summed so far to the new running maximum.
                float newMax = KernelMath.Max(max, score);
                float correction = KernelMath.Exp(max - newMax);
                float p = KernelMath.Exp(score - newMax);
                denominator = denominator * correction + p;
                for (int d = 0; d < headSize; d++) oTile[row + d] = oTile[row + d] * correction + p * vTile[j * MaxHeadSize + d];
                max = newMax;
            }
            Group.Barrier(); // everyone is done with this tile before it is overwritten
        }
        if (!active) return;
        float inverse = 1f / denominator;
        int o = (b * seqLen + t) * C + h * headSize;
        for (int d = 0; d < headSize; d++) output[o + d] = oTile[row + d] * inverse;
        logSumExp[(b * heads + h) * seqLen + t] = max + KernelMath.Log(denominator);
    }

    /// <summary>dQ += Σ_{s ≤ t, s in t's example} dScore(t, s)·k_s; one thread per query.</summary>
    /// <param name="dOutput">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward input.</param>
    /// <param name="output">(B, T, C) the forward output.</param>
    /// <param name="logSumExp">(B, NH, T) from the forward pass.</param>
    /// <param name="dQkv">(B, T, 3C) accumulates; this pass writes the query thirds.</param>
    /// <param name="segmentStarts">Empty, or (B, T) each position's example start.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void BackwardQuery(ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> output,
        ArrayView<float> logSumExp, ArrayView<float> dQkv, ArrayView<int> segmentStarts, int batch, int seqLen, int heads, int headSize)
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
        for (int s = FirstKey(segmentStarts, b * seqLen + t, t); s <= t; s++)
        {
            int key = (b * seqLen + s) * 3 * C + h * headSize;
            float dScore = ScoreGradient(qkv, dOutput, query, key, row, C, headSize, scale, lse, rowDot);
            for (int d = 0; d < headSize; d++) dQkv[query + d] += dScore * qkv[key + C + d];
        }
    }

    /// <summary>dK += Σ_{t ≥ s, t in s's example} dScore(t, s)·q_t and dV += Σ p(t, s)·dO_t over the same t; one thread per key.</summary>
    /// <param name="dOutput">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward input.</param>
    /// <param name="output">(B, T, C) the forward output.</param>
    /// <param name="logSumExp">(B, NH, T) from the forward pass.</param>
    /// <param name="dQkv">(B, T, 3C) accumulates; this pass writes the key and value thirds.</param>
    /// <param name="segmentStarts">Empty, or (B, T) each position's example start.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void BackwardKeyValue(ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> output,
        ArrayView<float> logSumExp, ArrayView<float> dQkv, ArrayView<int> segmentStarts, int batch, int seqLen, int heads, int headSize)
    {
        int index = Grid.GlobalIndex.X;
        if (index >= batch * heads * seqLen) return;
        int s = index % seqLen, h = index / seqLen % heads, b = index / seqLen / heads;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        int key = (b * seqLen + s) * 3 * C + h * headSize;
        int end = seqLen;
        if (segmentStarts.Length != 0)
        {
            // The queries that see s run from s to the end of its example: up to the first that starts after s.
            end = s + 1;
            while (end < seqLen && FirstKey(segmentStarts, b * seqLen + end, end) <= s) end++;
        }
        for (int t = s; t < end; t++)
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

    /// <summary>The first key query t of its row sees: 0 without segments, else its example's first position,
    /// clamped to [0, t] so that an unchecked start cannot send a read outside the row.</summary>
    private static int FirstKey(ArrayView<int> segmentStarts, int position, int t) =>
        segmentStarts.Length == 0 ? 0 : KernelMath.Max(0, KernelMath.Min(segmentStarts[position], t));

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

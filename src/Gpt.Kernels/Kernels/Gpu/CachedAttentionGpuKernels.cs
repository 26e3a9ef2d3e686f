using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Attention against a key/value cache, for inference on GPU devices. Shapes: B rows, T new tokens per row,
/// NH heads, HS head size, C = NH·HS, L the cache capacity; qkv (B, T, 3C); keys and values (B, NH, L, HS);
/// past (B) positions each row held before this step. New token t of row b sits at position past[b] + t and
/// attends to positions 0 .. past[b] + t. <see cref="Append"/>: one thread per copied element (B·T·C threads).
/// <see cref="Forward"/>: one thread per (b, h, t) query, an online softmax over the cached positions, so no
/// score vector is stored (B·NH·T threads). Call <see cref="Append"/> first: the cache must hold the new tokens.
/// </summary>
internal static partial class CachedAttentionGpuKernels
{
    /// <summary>keys/values[b, h, past[b] + t] = the key/value of new token t of row b, head h.</summary>
    /// <param name="qkv">(B, T, 3C) projections of the new tokens.</param>
    /// <param name="keys">(B, NH, L, HS) key cache.</param>
    /// <param name="values">(B, NH, L, HS) value cache.</param>
    /// <param name="past">(B) positions each row held before this step.</param>
    /// <param name="batch">B.</param>
    /// <param name="newLen">T.</param>
    /// <param name="capacity">L.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void Append(ArrayView<float> qkv, ArrayView<float> keys, ArrayView<float> values, ArrayView<int> past,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        int C = heads * headSize;
        int index = Grid.GlobalIndex.X; // (b, t, c) flattened, c fastest
        if (index >= batch * newLen * C) return;
        int c = index % C, t = index / C % newLen, b = index / C / newLen;
        int h = c / headSize, d = c % headSize;
        int source = (b * newLen + t) * 3 * C + c;
        int target = ((b * heads + h) * capacity + past[b] + t) * headSize + d;
        keys[target] = qkv[source + C];
        values[target] = qkv[source + 2 * C];
    }

    /// <summary>output[b, t, head h] = Σ_{s ≤ past[b] + t} softmax_s(q_t · k_s / √HS)·v_s over the cache.</summary>
    /// <param name="qkv">(B, T, 3C); only the queries are read.</param>
    /// <param name="keys">(B, NH, L, HS) key cache.</param>
    /// <param name="values">(B, NH, L, HS) value cache.</param>
    /// <param name="past">(B) positions each row held before this step.</param>
    /// <param name="output">(B, T, C) the heads' outputs.</param>
    /// <param name="batch">B.</param>
    /// <param name="newLen">T.</param>
    /// <param name="capacity">L.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    [Kernel]
    internal static void Forward(ArrayView<float> qkv, ArrayView<float> keys, ArrayView<float> values, ArrayView<int> past,
        ArrayView<float> output, int batch, int newLen, int capacity, int heads, int headSize)
    {
        int index = Grid.GlobalIndex.X; // (b, h, t) flattened, t fastest
        if (index >= batch * heads * newLen) return;
        int t = index % newLen, h = index / newLen % heads, b = index / newLen / heads;
        int C = heads * headSize;
        float scale = 1f / KernelMath.Sqrt(headSize);
        int query = (b * newLen + t) * 3 * C + h * headSize;
        int o = (b * newLen + t) * C + h * headSize;
        int head = (b * heads + h) * capacity * headSize;
        int positions = past[b] + t + 1;
        for (int d = 0; d < headSize; d++) output[o + d] = 0f;
        float max = float.NegativeInfinity, denominator = 0f;
        for (int s = 0; s < positions; s++)
        {
            int key = head + s * headSize;
            float score = 0f;
            for (int d = 0; d < headSize; d++) score += qkv[query + d] * keys[key + d];
            score *= scale;
            // Online softmax: rescale what has been summed so far to the new running maximum.
            float newMax = KernelMath.Max(max, score);
            float correction = KernelMath.Exp(max - newMax);
            float p = KernelMath.Exp(score - newMax);
            denominator = denominator * correction + p;
            for (int d = 0; d < headSize; d++) output[o + d] = output[o + d] * correction + p * values[key + d];
            max = newMax;
        }
        float inverse = 1f / denominator;
        for (int d = 0; d < headSize; d++) output[o + d] *= inverse;
    }
}

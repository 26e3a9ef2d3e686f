namespace Gpt.Kernels;

/// <summary>
/// Attention against a key/value cache, for inference: the reference version. A decoding step feeds
/// a few new tokens; their keys and values are appended to the cache (<see cref="Append"/>), then each
/// new query attends to every cached position up to its own (<see cref="Forward"/>).
/// </summary>
/// <remarks>
/// Shapes: B batch rows, T new tokens per row, NH heads, HS head size, C = NH * HS, L the cache capacity.
/// qkv (B, T, 3C) as in <see cref="AttentionKernels"/>. The cache keeps keys and values apart, each
/// (B, NH, L, HS), so a head's keys are one contiguous run. past (B) is how many positions each row
/// held before this step (rows may differ); new token t of row b sits at position past[b] + t and
/// attends to positions 0 .. past[b] + t. Scores are scaled by 1/sqrt(HS).
/// </remarks>
internal static class CachedAttentionKernels
{
    /// <summary>Copies the new tokens' keys and values from qkv into the cache at positions past[b] ..</summary>
    /// <param name="qkv">(B, T, 3C) projections of the new tokens.</param>
    /// <param name="keys">(B, NH, L, HS) key cache; positions past[b] .. past[b] + T − 1 are written.</param>
    /// <param name="values">(B, NH, L, HS) value cache, written like the keys.</param>
    /// <param name="past">(B) positions each row held before this step.</param>
    /// <param name="batch">B.</param>
    /// <param name="newLen">T.</param>
    /// <param name="capacity">L; past[b] + T must not exceed it.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    public static void Append(ReadOnlySpan<float> qkv, Span<float> keys, Span<float> values, ReadOnlySpan<int> past,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        Check(qkv.Length, keys.Length, values.Length, past, qkv.Length / 3, batch, newLen, capacity, heads, headSize);
        int C = heads * headSize;
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < newLen; t++)
        for (int h = 0; h < heads; h++)
        {
            int source = (b * newLen + t) * 3 * C + h * headSize;
            int target = ((b * heads + h) * capacity + past[b] + t) * headSize;
            qkv.Slice(source + C, headSize).CopyTo(keys.Slice(target, headSize));
            qkv.Slice(source + 2 * C, headSize).CopyTo(values.Slice(target, headSize));
        }
    }

    /// <summary>output[b, t, head h] = sum over s &lt;= past[b] + t of softmax_s(q_t · k_s / sqrt(HS)) v_s, with
    /// k_s and v_s read from the cache (which must already hold the new tokens: call <see cref="Append"/> first).</summary>
    /// <param name="qkv">(B, T, 3C); only the queries are read.</param>
    /// <param name="keys">(B, NH, L, HS) key cache.</param>
    /// <param name="values">(B, NH, L, HS) value cache.</param>
    /// <param name="past">(B) positions each row held before this step.</param>
    /// <param name="output">(B, T, C) the heads' outputs, concatenated in column order.</param>
    /// <param name="batch">B.</param>
    /// <param name="newLen">T.</param>
    /// <param name="capacity">L.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    public static void Forward(ReadOnlySpan<float> qkv, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<int> past,
        Span<float> output, int batch, int newLen, int capacity, int heads, int headSize)
    {
        Check(qkv.Length, keys.Length, values.Length, past, output.Length, batch, newLen, capacity, heads, headSize);
        int C = heads * headSize;
        float scale = 1f / MathF.Sqrt(headSize);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < newLen; t++)
        {
            ReadOnlySpan<float> q = qkv.Slice((b * newLen + t) * 3 * C + h * headSize, headSize); // (HS)
            Span<float> o = output.Slice((b * newLen + t) * C + h * headSize, headSize);          // (HS)
            int head = (b * heads + h) * capacity * headSize;
            int n = past[b] + t + 1;
            var scores = new float[n];
            float max = float.NegativeInfinity;
            for (int s = 0; s < n; s++)
            {
                ReadOnlySpan<float> k = keys.Slice(head + s * headSize, headSize); // (HS)
                float dot = 0f;
                for (int d = 0; d < headSize; d++) dot += q[d] * k[d];
                scores[s] = dot * scale;
                max = MathF.Max(max, scores[s]);
            }
            float sum = 0f;
            for (int s = 0; s < n; s++) sum += scores[s] = MathF.Exp(scores[s] - max);
            o.Clear();
            for (int s = 0; s < n; s++)
            {
                ReadOnlySpan<float> v = values.Slice(head + s * headSize, headSize); // (HS)
                float p = scores[s] / sum;
                for (int d = 0; d < headSize; d++) o[d] += p * v[d];
            }
        }
    }

    /// <summary>The checks shared by the reference and the CPU fast path: sizes, span lengths, and that
    /// every row's new positions fit the cache.</summary>
    internal static void Check(int qkvLength, int keysLength, int valuesLength, ReadOnlySpan<int> past, int outputLength,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        CheckSizes(qkvLength, keysLength, valuesLength, past.Length, outputLength, batch, newLen, capacity, heads, headSize);
        for (int b = 0; b < batch; b++)
        {
            if (past[b] < 0 || (long)past[b] + newLen > capacity)
                throw new ArgumentOutOfRangeException(nameof(past), past[b],
                    $"row {b} holds {past[b]} positions; {newLen} more do not fit a cache of {capacity}. Give the cache more capacity or start a new one.");
        }
    }

    /// <summary>The size checks every device makes; GPU devices stop here because the positions in
    /// <c>past</c> live in device memory (their kernels skip positions past the capacity instead).</summary>
    internal static void CheckSizes(int qkvLength, int keysLength, int valuesLength, int pastLength, int outputLength,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        KernelGuards.NonNegative(batch, nameof(batch));
        KernelGuards.NonNegative(newLen, nameof(newLen));
        KernelGuards.NonNegative(capacity, nameof(capacity));
        KernelGuards.NonNegative(heads, nameof(heads));
        KernelGuards.NonNegative(headSize, nameof(headSize));
        long channels = (long)heads * headSize;
        KernelGuards.Length(qkvLength, (long)batch * newLen * 3 * channels, "qkv", "batch × newLen × 3 × heads × headSize");
        KernelGuards.Length(outputLength, (long)batch * newLen * channels, "output", "batch × newLen × heads × headSize");
        KernelGuards.Length(keysLength, (long)batch * capacity * channels, "keys", "batch × heads × capacity × headSize");
        KernelGuards.Length(valuesLength, (long)batch * capacity * channels, "values", "batch × heads × capacity × headSize");
        KernelGuards.Length(pastLength, batch, "past", "batch");
    }
}

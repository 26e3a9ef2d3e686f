namespace Gpt.Kernels;

/// <summary>
/// Causal multi-head self-attention, fused, the reference version. The forward pass keeps an online
/// softmax (running maximum and denominator) per query, so the (T, T) score matrix never exists;
/// the backward pass recomputes each probability from q, k and the saved log-sum-exp.
/// </summary>
/// <remarks>
/// Shapes: B batch, T sequence length, NH heads, HS head size, C = NH * HS.
/// qkv (B, T, 3C): per position q = [0, C), k = [C, 2C), v = [2C, 3C); head h owns columns
/// h*HS .. h*HS + HS - 1 of each. Position t attends to positions 0..t. Scores are scaled by 1/sqrt(HS).
/// </remarks>
public static class AttentionKernels
{
    /// <summary>output[b, t, head h] = sum over s &lt;= t of softmax_s(q_t · k_s / sqrt(HS)) v_s.</summary>
    /// <param name="qkv">(B, T, 3C) queries, keys and values.</param>
    /// <param name="output">(B, T, C) the heads' outputs, concatenated in column order.</param>
    /// <param name="logSumExp">(B, NH, T) log of each query's softmax denominator, saved for the backward pass.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="heads">NH.</param>
    /// <param name="headSize">HS.</param>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> logSumExp,
        int batch, int seqLen, int heads, int headSize)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        int C = heads * headSize;
        float scale = 1f / MathF.Sqrt(headSize);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < seqLen; t++)
        {
            ReadOnlySpan<float> q = qkv.Slice((b * seqLen + t) * 3 * C + h * headSize, headSize); // (HS)
            Span<float> o = output.Slice((b * seqLen + t) * C + h * headSize, headSize);          // (HS), the accumulator
            o.Clear();
            float max = float.NegativeInfinity, denominator = 0f;
            for (int s = 0; s <= t; s++)
            {
                int key = (b * seqLen + s) * 3 * C + h * headSize;
                ReadOnlySpan<float> k = qkv.Slice(key + C, headSize);     // (HS)
                ReadOnlySpan<float> v = qkv.Slice(key + 2 * C, headSize); // (HS)
                float score = 0f;
                for (int d = 0; d < headSize; d++) score += q[d] * k[d];
                score *= scale;

                // Online softmax: rescale what has been summed so far to the new running maximum.
                float newMax = MathF.Max(max, score);
                float correction = MathF.Exp(max - newMax);
                float p = MathF.Exp(score - newMax);
                denominator = denominator * correction + p;
                for (int d = 0; d < headSize; d++) o[d] = o[d] * correction + p * v[d];
                max = newMax;
            }
            float inverse = 1f / denominator;
            for (int d = 0; d < headSize; d++) o[d] *= inverse;
            logSumExp[(b * heads + h) * seqLen + t] = max + MathF.Log(denominator);
        }
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
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> qkv, ReadOnlySpan<float> output,
        ReadOnlySpan<float> logSumExp, Span<float> dQkv, int batch, int seqLen, int heads, int headSize)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.Length(dOutput.Length, (long)batch * seqLen * heads * headSize, nameof(dOutput), "batch × seqLen × heads × headSize");
        KernelGuards.Length(dQkv.Length, (long)batch * seqLen * 3 * heads * headSize, nameof(dQkv), "batch × seqLen × 3 × heads × headSize");
        int C = heads * headSize;
        float scale = 1f / MathF.Sqrt(headSize);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < seqLen; t++)
        {
            int query = (b * seqLen + t) * 3 * C + h * headSize;
            ReadOnlySpan<float> q = qkv.Slice(query, headSize);                                  // (HS)
            Span<float> dq = dQkv.Slice(query, headSize);                                       // (HS)
            ReadOnlySpan<float> o = output.Slice((b * seqLen + t) * C + h * headSize, headSize);   // (HS)
            ReadOnlySpan<float> dO = dOutput.Slice((b * seqLen + t) * C + h * headSize, headSize); // (HS)
            float lse = logSumExp[(b * heads + h) * seqLen + t];

            // sum_s p_s (dO · v_s) = dO · o: the softmax backward's row term, without a second pass.
            float rowDot = 0f;
            for (int d = 0; d < headSize; d++) rowDot += dO[d] * o[d];

            for (int s = 0; s <= t; s++)
            {
                int key = (b * seqLen + s) * 3 * C + h * headSize;
                ReadOnlySpan<float> k = qkv.Slice(key + C, headSize);     // (HS)
                ReadOnlySpan<float> v = qkv.Slice(key + 2 * C, headSize); // (HS)
                Span<float> dk = dQkv.Slice(key + C, headSize);           // (HS)
                Span<float> dv = dQkv.Slice(key + 2 * C, headSize);       // (HS)

                float score = 0f, dp = 0f;
                for (int d = 0; d < headSize; d++)
                {
                    score += q[d] * k[d];
                    dp += dO[d] * v[d];
                }
                float p = MathF.Exp(score * scale - lse);
                float dScore = p * (dp - rowDot) * scale; // gradient of the unscaled dot product q · k
                for (int d = 0; d < headSize; d++)
                {
                    dv[d] += p * dO[d];
                    dq[d] += dScore * k[d];
                    dk[d] += dScore * q[d];
                }
            }
        }
    }
}

using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Causal multi-head self-attention on the CPU, fused: per query, one row of scores lives in
/// per-thread scratch (never the (T, T) matrix); dot products and updates are SIMD over the head
/// size. Forward work items are (batch, head, query block); backward items are (batch, head) pairs,
/// each owning its head's columns of dQkv, so the sums over queries run in a fixed order and the
/// result does not depend on the thread count. Same signatures as <see cref="AttentionKernels"/>.
/// </summary>
public static unsafe class CpuAttention
{
    // Queries per forward work item: enough items to balance the causal triangle's uneven rows.
    private const int QueryBlock = 16;

    private struct Job
    {
        public float* Qkv, Output, LogSumExp, DOutput, DQkv;
        public int SeqLen, Heads, HeadSize, QueryBlocks;
        public float Scale;
    }

    /// <inheritdoc cref="AttentionKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> logSumExp,
        int batch, int seqLen, int heads, int headSize)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        fixed (float* pq = qkv, po = output, pl = logSumExp)
        {
            int queryBlocks = (seqLen + QueryBlock - 1) / QueryBlock;
            var job = new Job
            {
                Qkv = pq, Output = po, LogSumExp = pl, SeqLen = seqLen, Heads = heads, HeadSize = headSize,
                QueryBlocks = queryBlocks, Scale = 1f / MathF.Sqrt(headSize),
            };
            int items = batch * heads * queryBlocks;
            // Roughly T^2/2 * HS multiply-adds twice over; below ~100k the hand-off dominates.
            if ((long)batch * heads * seqLen * seqLen * headSize < 1 << 17) for (int i = 0; i < items; i++) ForwardItem(&job, i);
            else CpuParallel.For(items, &job, &ForwardItem);
        }
    }

    /// <inheritdoc cref="AttentionKernels.Backward"/>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> qkv, ReadOnlySpan<float> output,
        ReadOnlySpan<float> logSumExp, Span<float> dQkv, int batch, int seqLen, int heads, int headSize)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.Length(dOutput.Length, (long)batch * seqLen * heads * headSize, nameof(dOutput), "batch × seqLen × heads × headSize");
        KernelGuards.Length(dQkv.Length, (long)batch * seqLen * 3 * heads * headSize, nameof(dQkv), "batch × seqLen × 3 × heads × headSize");
        fixed (float* pdo = dOutput, pq = qkv, po = output, pl = logSumExp, pdq = dQkv)
        {
            var job = new Job
            {
                DOutput = pdo, Qkv = pq, Output = po, LogSumExp = pl, DQkv = pdq,
                SeqLen = seqLen, Heads = heads, HeadSize = headSize, Scale = 1f / MathF.Sqrt(headSize),
            };
            int items = batch * heads;
            if ((long)batch * heads * seqLen * seqLen * headSize < 1 << 16) for (int i = 0; i < items; i++) BackwardItem(&job, i);
            else CpuParallel.For(items, &job, &BackwardItem);
        }
    }

    private static void ForwardItem(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int T = job.SeqLen, NH = job.Heads, HS = job.HeadSize, C = NH * HS;
        int block = item % job.QueryBlocks, bh = item / job.QueryBlocks;
        int h = bh % NH, b = bh / NH;
        float* scores = CpuScratch.Floats(T); // (T) one query's scores, then probabilities
        float* head = job.Qkv + (long)b * T * 3 * C + h * HS;
        int tEnd = Math.Min(T, (block + 1) * QueryBlock);
        for (int t = block * QueryBlock; t < tEnd; t++)
        {
            float* q = head + (long)t * 3 * C;                          // (HS)
            float* o = job.Output + ((long)b * T + t) * C + h * HS;     // (HS)
            float max = float.NegativeInfinity;
            for (int s = 0; s <= t; s++)
            {
                float score = CpuVector.Dot(q, head + (long)s * 3 * C + C, HS) * job.Scale;
                scores[s] = score;
                max = MathF.Max(max, score);
            }
            float sum = ExpInPlace(scores, max, t + 1);

            new Span<float>(o, HS).Clear();
            for (int s = 0; s <= t; s++) CpuVector.MultiplyAdd(scores[s], head + (long)s * 3 * C + 2 * C, o, HS);
            CpuVector.Scale(o, 1f / sum, HS);
            job.LogSumExp[(long)bh * T + t] = max + MathF.Log(sum);
        }
    }

    // For each query t: p_s = exp(q·k_s scale - lse), dp_s = dO·v_s, dS_s = p_s (dp_s - dO·o) scale;
    // dv_s += p_s dO; dq += dS_s k_s; dk_s += dS_s q. Queries in order, so every sum has a fixed order.
    private static void BackwardItem(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int T = job.SeqLen, NH = job.Heads, HS = job.HeadSize, C = NH * HS;
        int h = item % NH, b = item / NH;
        float* p = CpuScratch.Floats(2 * T); // (T) probabilities, then (T) dO·v
        float* dp = p + T;
        float* head = job.Qkv + (long)b * T * 3 * C + h * HS;
        float* dHead = job.DQkv + (long)b * T * 3 * C + h * HS;
        for (int t = 0; t < T; t++)
        {
            float* q = head + (long)t * 3 * C;                             // (HS)
            float* dq = dHead + (long)t * 3 * C;                           // (HS)
            float* o = job.Output + ((long)b * T + t) * C + h * HS;        // (HS)
            float* dO = job.DOutput + ((long)b * T + t) * C + h * HS;      // (HS)
            float lse = job.LogSumExp[(long)item * T + t];
            float rowDot = CpuVector.Dot(dO, o, HS); // = sum_s p_s dp_s

            for (int s = 0; s <= t; s++)
            {
                float* key = head + (long)s * 3 * C;
                p[s] = CpuVector.Dot(q, key + C, HS) * job.Scale;
                dp[s] = CpuVector.Dot(dO, key + 2 * C, HS);
            }
            ExpInPlace(p, lse, t + 1);

            for (int s = 0; s <= t; s++)
            {
                float* key = head + (long)s * 3 * C;
                float* dKey = dHead + (long)s * 3 * C;
                float dScore = p[s] * (dp[s] - rowDot) * job.Scale;
                CpuVector.MultiplyAdd(p[s], dO, dKey + 2 * C, HS);
                CpuVector.MultiplyAdd(dScore, key + C, dq, HS);
                CpuVector.MultiplyAdd(dScore, q, dKey + C, HS);
            }
        }
    }

    // x[i] = exp(x[i] - shift); returns the sum.
    private static float ExpInPlace(float* x, float shift, int n)
    {
        Vector256<float> shiftV = Vector256.Create(shift), sumV = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256<float> e = Vector256.Exp(Vector256.Load(x + i) - shiftV);
            Vector256.Store(e, x + i);
            sumV += e;
        }
        float sum = Vector256.Sum(sumV);
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }
}

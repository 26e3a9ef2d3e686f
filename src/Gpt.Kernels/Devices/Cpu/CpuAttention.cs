using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Causal multi-head self-attention on the CPU, fused: per query, one row of scores lives in
/// per-thread scratch (never the (T, T) matrix). The keys (and, backward, the values) a work item
/// needs are packed transposed once, so a tile of 16 scores is a run of broadcast multiply-adds with
/// no horizontal sums; weighted sums of value rows keep their accumulators in registers. Forward work items are (batch, head, query block); backward items are (batch, head) pairs,
/// each owning its head's columns of dQkv, so the sums over queries run in a fixed order and the
/// result does not depend on the thread count. Same signatures as <see cref="AttentionKernels"/>.
/// With segment starts (packed examples) a query's keys begin at its example's first position instead of 0:
/// the same loops over fewer keys, so plain causal attention is the case where every start is 0.
/// </summary>
internal static unsafe class CpuAttention
{
    // Queries per forward work item: enough items to balance the causal triangle's uneven rows.
    private const int QueryBlock = 16;
    // Keys per score tile: two vectors.
    private const int KeyTile = 16;

    private struct Job
    {
        public float* Qkv, Output, LogSumExp, DOutput, DQkv;
        public int* SegmentStarts; // (B, T), or null: plain causal attention
        public int SeqLen, Heads, HeadSize, QueryBlocks;
        public float Scale;
    }

    /// <inheritdoc cref="AttentionKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> logSumExp,
        int batch, int seqLen, int heads, int headSize, ReadOnlySpan<int> segmentStarts = default)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.SegmentStarts(segmentStarts, batch, seqLen);
        fixed (float* pq = qkv, po = output, pl = logSumExp)
        fixed (int* ps = segmentStarts)
        {
            int queryBlocks = (seqLen + QueryBlock - 1) / QueryBlock;
            var job = new Job
            {
                Qkv = pq, Output = po, LogSumExp = pl, SegmentStarts = segmentStarts.IsEmpty ? null : ps,
                SeqLen = seqLen, Heads = heads, HeadSize = headSize,
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
        ReadOnlySpan<float> logSumExp, Span<float> dQkv, int batch, int seqLen, int heads, int headSize,
        ReadOnlySpan<int> segmentStarts = default)
    {
        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.Length(dOutput.Length, (long)batch * seqLen * heads * headSize, nameof(dOutput), "batch × seqLen × heads × headSize");
        KernelGuards.Length(dQkv.Length, (long)batch * seqLen * 3 * heads * headSize, nameof(dQkv), "batch × seqLen × 3 × heads × headSize");
        KernelGuards.SegmentStarts(segmentStarts, batch, seqLen);
        fixed (float* pdo = dOutput, pq = qkv, po = output, pl = logSumExp, pdq = dQkv)
        fixed (int* ps = segmentStarts)
        {
            var job = new Job
            {
                DOutput = pdo, Qkv = pq, Output = po, LogSumExp = pl, DQkv = pdq, SegmentStarts = segmentStarts.IsEmpty ? null : ps,
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
        int tStart = block * QueryBlock, tEnd = Math.Min(T, tStart + QueryBlock);
        int* starts = job.SegmentStarts == null ? null : job.SegmentStarts + (long)b * T; // (T) this row's
        // Examples lie one after another, so the block's first query has the lowest start: no key before it is seen.
        int firstKey = starts == null ? 0 : starts[tStart];
        int keys = RoundUp(tEnd - firstKey, KeyTile);
        float* scratch = CpuScratch.Floats(keys + HS * keys);
        float* scores = scratch;        // (keys) one query's scores, then probabilities
        float* kT = scratch + keys;     // (HS, keys) keys firstKey .. tEnd - 1, transposed
        float* head = job.Qkv + (long)b * T * 3 * C + h * HS;
        PackTransposed(head + (long)firstKey * 3 * C + C, 3 * C, tEnd - firstKey, HS, keys, kT);

        for (int t = tStart; t < tEnd; t++)
        {
            float* q = head + (long)t * 3 * C;                          // (HS)
            float* o = job.Output + ((long)b * T + t) * C + h * HS;     // (HS)
            int first = starts == null ? 0 : starts[t];                 // keys first .. t
            int n = t + 1 - first;
            // Score tiles stay on kT's tile boundaries (so none runs past its end): the skip scores before
            // this query's first key are computed and ignored.
            int skip = (first - firstKey) % KeyTile;
            Scores(q, kT + (first - firstKey - skip), keys, HS, n + skip, job.Scale, scores);
            float* p = scores + skip;
            float max = CpuVector.Max(p, n);
            float sum = CpuVector.Exp(p, max, p, n);
            WeightedRowSum(p, head + (long)first * 3 * C + 2 * C, 3 * C, n, HS, 1f / sum, o, accumulate: false);
            job.LogSumExp[(long)bh * T + t] = max + MathF.Log(sum);
        }
    }

    // For each query t: p_s = exp(q·k_s scale - lse), dp_s = dO·v_s, dS_s = p_s (dp_s - dO·o) scale;
    // dq += sum_s dS_s k_s; dv_s += p_s dO; dk_s += dS_s q. Queries in order, so every sum has a fixed order.
    private static void BackwardItem(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int T = job.SeqLen, NH = job.Heads, HS = job.HeadSize, C = NH * HS;
        int h = item % NH, b = item / NH;
        int keys = RoundUp(T, KeyTile);
        int* starts = job.SegmentStarts == null ? null : job.SegmentStarts + (long)b * T; // (T) this row's
        float* scratch = CpuScratch.Floats(2 * keys + 2 * HS * keys);
        float* pScratch = scratch;          // (keys) probabilities
        float* dSScratch = scratch + keys;  // (keys) dO·v, then score gradients
        float* kT = dSScratch + keys;       // (HS, keys)
        float* vT = kT + HS * keys;         // (HS, keys)
        float* head = job.Qkv + (long)b * T * 3 * C + h * HS;
        float* dHead = job.DQkv + (long)b * T * 3 * C + h * HS;
        PackTransposed(head + C, 3 * C, T, HS, keys, kT);
        PackTransposed(head + 2 * C, 3 * C, T, HS, keys, vT);

        for (int t = 0; t < T; t++)
        {
            float* q = head + (long)t * 3 * C;                             // (HS)
            float* dq = dHead + (long)t * 3 * C;                           // (HS)
            float* o = job.Output + ((long)b * T + t) * C + h * HS;        // (HS)
            float* dO = job.DOutput + ((long)b * T + t) * C + h * HS;      // (HS)
            float lse = job.LogSumExp[(long)item * T + t];
            float rowDot = CpuVector.Dot(dO, o, HS); // = sum_s p_s dp_s
            int first = starts == null ? 0 : starts[t]; // keys first .. t
            int n = t + 1 - first;
            // As forward: tiles on kT's boundaries, the skip entries before key first ignored.
            int skip = first % KeyTile;
            float* p = pScratch + skip, dS = dSScratch + skip; // (n) entry s is key first + s

            Scores(q, kT + (first - skip), keys, HS, n + skip, job.Scale, pScratch);
            Scores(dO, vT + (first - skip), keys, HS, n + skip, 1f, dSScratch);
            CpuVector.Exp(p, lse, p, n);
            for (int s = 0; s < n; s++) dS[s] = p[s] * (dS[s] - rowDot) * job.Scale;

            WeightedRowSum(dS, head + (long)first * 3 * C + C, 3 * C, n, HS, 1f, dq, accumulate: true);
            for (int s = 0; s < n; s++)
            {
                float* dKey = dHead + (long)(first + s) * 3 * C;
                CpuVector.MultiplyAdd(p[s], dO, dKey + 2 * C, HS);
                CpuVector.MultiplyAdd(dS[s], q, dKey + C, HS);
            }
        }
    }

    private static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    // xT[d, s] = x[s, d] for s < rows, zero for the padding columns up to stride.
    private static void PackTransposed(float* x, int rowStride, int rows, int width, int stride, float* xT)
    {
        for (int d = 0; d < width; d++)
        {
            float* column = xT + (long)d * stride;
            for (int s = 0; s < rows; s++) column[s] = x[(long)s * rowStride + d];
            for (int s = rows; s < stride; s++) column[s] = 0f;
        }
    }

    // scores[s] = (x · column s of yT) * scale for s < n, a tile of KeyTile keys at a time: one broadcast
    // and two fused multiply-adds per dimension, no horizontal sums. Entries n..tile end are scratch.
    private static void Scores(float* x, float* yT, int stride, int width, int n, float scale, float* scores)
    {
        Vector256<float> scaleV = Vector256.Create(scale);
        for (int s0 = 0; s0 < n; s0 += KeyTile)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
            float* column = yT + s0;
            for (int d = 0; d < width; d++, column += stride)
            {
                Vector256<float> xd = Vector256.Create(x[d]);
                a0 = Vector256.FusedMultiplyAdd(xd, Vector256.Load(column), a0);
                a1 = Vector256.FusedMultiplyAdd(xd, Vector256.Load(column + 8), a1);
            }
            Vector256.Store(a0 * scaleV, scores + s0);
            Vector256.Store(a1 * scaleV, scores + s0 + 8);
        }
    }

    // output (+)= scale * sum_{s < n} weights[s] * rows[s], rows at rowStride apart; four vectors of the
    // output stay in registers across all s.
    private static void WeightedRowSum(float* weights, float* rows, int rowStride, int n, int width, float scale,
        float* output, bool accumulate)
    {
        Vector256<float> scaleV = Vector256.Create(scale);
        int j = 0;
        for (; j <= width - 32; j += 32)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            float* row = rows + j;
            for (int s = 0; s < n; s++, row += rowStride)
            {
                Vector256<float> w = Vector256.Create(weights[s]);
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(row), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(row + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(row + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(row + 24), a3);
            }
            Store(a0 * scaleV, output + j, accumulate);
            Store(a1 * scaleV, output + j + 8, accumulate);
            Store(a2 * scaleV, output + j + 16, accumulate);
            Store(a3 * scaleV, output + j + 24, accumulate);
        }
        for (; j <= width - 8; j += 8)
        {
            Vector256<float> a0 = Vector256<float>.Zero;
            float* row = rows + j;
            for (int s = 0; s < n; s++, row += rowStride) a0 = Vector256.FusedMultiplyAdd(Vector256.Create(weights[s]), Vector256.Load(row), a0);
            Store(a0 * scaleV, output + j, accumulate);
        }
        for (; j < width; j++)
        {
            float a = 0f;
            for (int s = 0; s < n; s++) a += weights[s] * rows[(long)s * rowStride + j];
            output[j] = accumulate ? output[j] + a * scale : a * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, float* destination, bool accumulate)
    {
        if (accumulate) value += Vector256.Load(destination);
        Vector256.Store(value, destination);
    }
}

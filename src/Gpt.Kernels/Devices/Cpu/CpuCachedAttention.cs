namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Attention against a key/value cache on the CPU. Work items are (row, head, block of new queries);
/// a head's cached keys and values are contiguous rows of HS floats, so each score is one SIMD dot
/// product and the weighted sum streams the value rows once. A query's result depends only on its own
/// item, never on the thread count. Same contract as <see cref="CachedAttentionKernels"/>.
/// </summary>
internal static unsafe class CpuCachedAttention
{
    // New queries per work item: decoding (T = 1) gives one item per (row, head); prefill splits finer.
    private const int QueryBlock = 16;

    private struct Job
    {
        public float* Qkv, Keys, Values, Output;
        public int* Past;
        public int NewLen, Capacity, Heads, HeadSize, QueryBlocks;
        public float Scale;
    }

    /// <inheritdoc cref="CachedAttentionKernels.Append"/>
    public static void Append(ReadOnlySpan<float> qkv, Span<float> keys, Span<float> values, ReadOnlySpan<int> past,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        CachedAttentionKernels.Check(qkv.Length, keys.Length, values.Length, past, qkv.Length / 3, batch, newLen, capacity, heads, headSize);
        int C = heads * headSize;
        fixed (float* pq = qkv, pk = keys, pv = values)
        {
            for (int b = 0; b < batch; b++)
            for (int t = 0; t < newLen; t++)
            for (int h = 0; h < heads; h++)
            {
                float* source = pq + ((long)b * newLen + t) * 3 * C + h * headSize;
                long target = (((long)b * heads + h) * capacity + past[b] + t) * headSize;
                Buffer.MemoryCopy(source + C, pk + target, (long)headSize * sizeof(float), (long)headSize * sizeof(float));
                Buffer.MemoryCopy(source + 2 * C, pv + target, (long)headSize * sizeof(float), (long)headSize * sizeof(float));
            }
        }
    }

    /// <inheritdoc cref="CachedAttentionKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> qkv, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<int> past,
        Span<float> output, int batch, int newLen, int capacity, int heads, int headSize)
    {
        CachedAttentionKernels.Check(qkv.Length, keys.Length, values.Length, past, output.Length, batch, newLen, capacity, heads, headSize);
        if (batch == 0 || newLen == 0 || heads == 0 || headSize == 0) return;
        fixed (float* pq = qkv, pk = keys, pv = values, po = output)
        fixed (int* pp = past)
        {
            int queryBlocks = (newLen + QueryBlock - 1) / QueryBlock;
            var job = new Job
            {
                Qkv = pq, Keys = pk, Values = pv, Output = po, Past = pp, NewLen = newLen, Capacity = capacity,
                Heads = heads, HeadSize = headSize, QueryBlocks = queryBlocks, Scale = 1f / MathF.Sqrt(headSize),
            };
            int items = batch * heads * queryBlocks;
            long work = 0;
            for (int b = 0; b < batch; b++) work += (long)(past[b] + newLen) * newLen;
            // Below ~64k multiply-adds the hand-off to the workers costs more than the work.
            if (work * heads * headSize < 1 << 16) for (int i = 0; i < items; i++) Item(&job, i);
            else CpuParallel.For(items, &job, &Item);
        }
    }

    private static void Item(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int T = job.NewLen, NH = job.Heads, HS = job.HeadSize, C = NH * HS;
        int block = item % job.QueryBlocks, bh = item / job.QueryBlocks;
        int h = bh % NH, b = bh / NH;
        int tStart = block * QueryBlock, tEnd = Math.Min(T, tStart + QueryBlock);
        int past = job.Past[b];
        float* scores = CpuScratch.Floats(past + tEnd);
        float* keys = job.Keys + (long)bh * job.Capacity * HS;     // (L, HS)
        float* values = job.Values + (long)bh * job.Capacity * HS; // (L, HS)

        for (int t = tStart; t < tEnd; t++)
        {
            float* q = job.Qkv + ((long)b * T + t) * 3 * C + h * HS; // (HS)
            float* o = job.Output + ((long)b * T + t) * C + h * HS;  // (HS)
            int n = past + t + 1;
            float* k = keys;
            for (int s = 0; s < n; s++, k += HS) scores[s] = CpuVector.Dot(q, k, HS) * job.Scale;
            float max = CpuVector.Max(scores, n);
            float inverse = 1f / CpuVector.Exp(scores, max, scores, n);
            new Span<float>(o, HS).Clear();
            float* v = values;
            for (int s = 0; s < n; s++, v += HS) CpuVector.MultiplyAdd(scores[s] * inverse, v, o, HS);
        }
    }
}

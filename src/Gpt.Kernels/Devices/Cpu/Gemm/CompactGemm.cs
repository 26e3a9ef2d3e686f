namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// C[m, n] = A[m, k] · W[n, k]ᵀ (+ bias) with W held compact (<see cref="CompactRows"/>): the linear layers and LM
/// head of a model loaded with bf16 or int8 weights, computing in fp32. The weights are read directly, never expanded
/// into a full fp32 copy:
/// <list type="bullet">
/// <item>one row (decoding a single sequence): each weight row is dotted with A straight from its compact values;</item>
/// <item>a few rows (batched decoding, up to <see cref="SkinnyGemm.MaxRows"/>): each weight row is expanded once into
/// L1 and dotted with every row of A while it is there;</item>
/// <item>more rows (prefill): <see cref="PackedGemm"/>, whose B panels are expanded from the compact values while they
/// are packed, so the result is bit-identical to the fp32 GEMM on the expanded weights.</item>
/// </list>
/// </summary>
/// <remarks>Work is split over n only and each element summed in a fixed order, so C is bit-identical for any
/// thread count.</remarks>
internal static unsafe class CompactGemm
{
    // Below this many multiply-adds the product runs on the calling thread.
    private const long ParallelThreshold = 1L << 16;

    // Weight rows per work item: long sequential runs, yet several items per thread.
    private const int MinRowsPerItem = 16, MaxRowsPerItem = 128;

    private struct Job
    {
        public float* A, C, Bias;
        public CompactRows W;
        public int M, N, K, RowsPerItem;
    }

    /// <summary>Runs the product; m, n, k non-negative, sizes already checked.</summary>
    public static void Run(float* a, CompactRows w, float* c, float* bias, int m, int n, int k)
    {
        if (m == 0 || n == 0) return;
        if (m > SkinnyGemm.MaxRows)
        {
            PackedGemm.Run(a, null, c, bias, m, n, k, transA: false, transB: true, alpha: 1f, beta: 0f, packB: &PackPanel, packBState: &w);
            return;
        }
        int rowsPerItem = Math.Clamp(n / (4 * CpuParallel.ThreadCount), MinRowsPerItem, MaxRowsPerItem);
        var job = new Job { A = a, C = c, Bias = bias, W = w, M = m, N = n, K = k, RowsPerItem = rowsPerItem };
        int items = (n + rowsPerItem - 1) / rowsPerItem;
        if ((long)m * n * k >= ParallelThreshold) CpuParallel.For(items, &job, &Item);
        else for (int i = 0; i < items; i++) Item(&job, i);
    }

    private static void Item(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int begin = item * job.RowsPerItem, end = Math.Min(job.N, begin + job.RowsPerItem);
        if (job.M == 1)
        {
            float* dots = stackalloc float[MaxRowsPerItem];
            job.W.DotMany(job.A, begin, end - begin, dots);
            for (int j = begin; j < end; j++) Store(ref job, 0, j, dots[j - begin]);
            return;
        }
        // A few rows: each weight row is read once for all of them.
        float* sums = stackalloc float[SkinnyGemm.MaxRows];
        for (int j = begin; j < end; j++)
        {
            job.W.DotRows(job.A, job.M, j, sums);
            for (int r = 0; r < job.M; r++) Store(ref job, r, j, sums[r]);
        }
    }

    // The packed GEMM's B panel from compact rows: columns [j, j + cols) of op(B) = rows of W, over k0 .. k0 + kc,
    // expanded into a scratch block (W's own layout) and packed from there by the fp32 packer.
    private static void PackPanel(void* state, int j, int cols, int k0, int kc, int nr, float* dst)
    {
        var w = *(CompactRows*)state;
        float* scratch = stackalloc float[cols * kc];
        for (int c = 0; c < cols; c++) w.Expand(j + c, k0, kc, scratch + (long)c * kc);
        GemmPacking.PackB(scratch, cols, kc, transB: true, 0, cols, 0, kc, nr, dst);
    }

    private static void Store(ref Job job, int r, int j, float sum) =>
        GemmMicroKernel.StoreScalar(sum, job.C + (long)r * job.N + j, 1f, 0f, job.Bias == null ? null : job.Bias + j);
}

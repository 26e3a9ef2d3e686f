using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// The cache-blocked matrix multiply (Goto/BLIS structure): op(A) and op(B) are packed into
/// micro-kernel panels, then tiles of C are computed in parallel, each over the chunk's K in
/// KC-sized blocks.
/// </summary>
/// <remarks>
/// Large operands are processed in chunks (of K, rows of A, columns of B) so the packed copies stay
/// a few megabytes. Every element of C is the sum of its KC-block partial sums, added in ascending
/// k; chunks hold whole KC blocks and work is split over M and N only, so C depends neither on the
/// chunking nor on the thread count.
/// </remarks>
internal static unsafe class PackedGemm
{
    // K block: a B micro-panel (KC x NR floats, 32 KiB for NR = 32) stays in L1 while the A block
    // (MC x KC) streams from L2.
    private const int KC = 256;

    // Rows of C per compute item: the packed A block of one item (MC x KC) is sized for L2.
    private const int MaxItemRows = 192;

    // Widest compute item, in micro-panels.
    private const int MaxItemPanels = 16;

    // Each packed operand chunk holds at most this many floats (8 MiB).
    internal const long MaxPackedFloats = 2L << 20;

    // Longest K chunk, in KC blocks: long enough that a chunk's C updates are rare, short enough that
    // a chunk still holds several hundred rows and columns.
    internal const int MaxChunkBlocks = 8;

    // Below this many multiply-adds a product runs on the calling thread: waking workers would cost more.
    private const long ParallelThreshold = 1L << 21;

    private struct Job
    {
        public float* A, B, C, Bias, PackedA, PackedB;
        public int M, N, K;
        public bool TransA, TransB;
        public float Alpha, Beta;

        // The current chunk: rows [RowStart, RowStart + Rows) and columns [ColStart, ColStart + Cols)
        // of C, summed over k in [KStart, KStart + KLength).
        public int RowStart, Rows, ColStart, Cols, KStart, KLength;
        public int PanelsToPackA, PanelsToPackB;

        // Compute items: RowBlocks x ColBlocks tiles of ItemRows x ItemCols.
        public int ItemRows, ItemCols, RowBlocks, ColBlocks;
    }

    /// <summary>C[m, n] = alpha * op(A) op(B) + beta * C (+ bias); m, n, k all positive.</summary>
    /// <param name="a">A, stored [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="c">C, [m, n].</param>
    /// <param name="bias">[n], or null.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="transA">A is stored transposed.</param>
    /// <param name="transB">B is stored transposed.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites.</param>
    /// <param name="maxPackedFloats">Size limit of a packed operand chunk (tests make it small).</param>
    /// <param name="maxChunkBlocks">Longest K chunk in KC blocks (tests make it small).</param>
    public static void Run(float* a, float* b, float* c, float* bias, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta,
        long maxPackedFloats = MaxPackedFloats, int maxChunkBlocks = MaxChunkBlocks)
    {
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        int chunkK = ChunkSize(k, KC, KC * maxChunkBlocks);
        int chunkRows = ChunkSize(m, mr, (int)Math.Max(mr, maxPackedFloats / chunkK));
        int chunkCols = ChunkSize(n, nr, (int)Math.Max(nr, maxPackedFloats / chunkK));

        var workspace = GemmWorkspace.Current;
        var job = new Job
        {
            A = a, B = b, C = c, Bias = bias, M = m, N = n, K = k,
            TransA = transA, TransB = transB, Alpha = alpha, Beta = beta,
            PackedA = workspace.PackedA((long)RoundUp(chunkRows, mr) * chunkK),
            PackedB = workspace.PackedB((long)RoundUp(chunkCols, nr) * chunkK),
        };
        bool parallel = (long)m * n * k >= ParallelThreshold;

        for (int kStart = 0; kStart < k; kStart += chunkK)
        {
            for (int colStart = 0; colStart < n; colStart += chunkCols)
            {
                for (int rowStart = 0; rowStart < m; rowStart += chunkRows)
                {
                    // A is repacked only when its chunk changes; B once per (K, column) chunk.
                    bool packA = colStart == 0 || chunkRows < m;
                    job.KStart = kStart;
                    job.KLength = Math.Min(chunkK, k - kStart);
                    job.RowStart = rowStart;
                    job.Rows = Math.Min(chunkRows, m - rowStart);
                    job.ColStart = colStart;
                    job.Cols = Math.Min(chunkCols, n - colStart);
                    job.PanelsToPackA = packA ? DivUp(job.Rows, mr) : 0;
                    job.PanelsToPackB = rowStart == 0 ? DivUp(job.Cols, nr) : 0;
                    PlanItems(ref job, mr, nr);

                    Run(&job, job.PanelsToPackA + job.PanelsToPackB, &Pack, parallel);
                    Run(&job, job.RowBlocks * job.ColBlocks, &Compute, parallel);
                }
            }
        }
    }

    private static void Run(Job* job, int count, delegate*<void*, int, void> body, bool parallel)
    {
        if (parallel)
        {
            CpuParallel.For(count, job, body);
            return;
        }
        for (int i = 0; i < count; i++) body(job, i);
    }

    // Splits the chunk into compute items: rows in L2-sized blocks, columns into enough blocks to
    // give every thread several items (the split does not change any result).
    private static void PlanItems(ref Job job, int mr, int nr)
    {
        int rowPanels = DivUp(job.Rows, mr);
        int rowBlocks = DivUp(job.Rows, MaxItemRows);
        int panelsPerRowBlock = DivUp(rowPanels, rowBlocks);
        job.ItemRows = panelsPerRowBlock * mr;
        job.RowBlocks = DivUp(rowPanels, panelsPerRowBlock);

        int colPanels = DivUp(job.Cols, nr);
        int wanted = DivUp(4 * CpuParallel.ThreadCount, job.RowBlocks);
        int colBlocks = Math.Clamp(wanted, DivUp(colPanels, MaxItemPanels), colPanels);
        int panelsPerColBlock = DivUp(colPanels, colBlocks);
        job.ItemCols = panelsPerColBlock * nr;
        job.ColBlocks = DivUp(colPanels, panelsPerColBlock);
    }

    // Item i < PanelsToPackA packs A panel i of the chunk; the rest pack B panels.
    private static void Pack(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        if (item < job.PanelsToPackA)
        {
            int row = item * mr;
            GemmPacking.PackA(job.A, job.M, job.K, job.TransA, job.RowStart + row, Math.Min(mr, job.Rows - row),
                job.KStart, job.KLength, mr, job.PackedA + (long)item * job.KLength * mr);
            return;
        }
        int panel = item - job.PanelsToPackA;
        int col = panel * nr;
        GemmPacking.PackB(job.B, job.N, job.K, job.TransB, job.ColStart + col, Math.Min(nr, job.Cols - col),
            job.KStart, job.KLength, nr, job.PackedB + (long)panel * job.KLength * nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        int rowBegin = item / job.ColBlocks * job.ItemRows;
        int rowEnd = Math.Min(rowBegin + job.ItemRows, job.Rows);
        int colBegin = item % job.ColBlocks * job.ItemCols;
        int colEnd = Math.Min(colBegin + job.ItemCols, job.Cols);
        int n = job.N, k = job.KLength;
        float* overhang = stackalloc float[GemmSimd512.Rows * 2 * GemmSimd512.Width];

        for (int kb = 0; kb < k; kb += KC)
        {
            int kc = Math.Min(KC, k - kb);
            // The first K block of the product applies beta and bias; later blocks add onto C.
            bool first = job.KStart + kb == 0;
            float beta = first ? job.Beta : 1f;
            for (int col = colBegin; col < colEnd; col += nr)
            {
                float* pb = job.PackedB + ((long)(col / nr) * k + kb) * nr;
                int cols = Math.Min(nr, job.Cols - col);
                float* bias = first && job.Bias != null ? job.Bias + job.ColStart + col : null;
                for (int row = rowBegin; row < rowEnd; row += mr)
                {
                    float* pa = job.PackedA + ((long)(row / mr) * k + kb) * mr;
                    int rows = Math.Min(mr, job.Rows - row);
                    float* ct = job.C + (long)(job.RowStart + row) * n + job.ColStart + col;
                    if (cols == nr)
                    {
                        GemmMicroKernel.Tile(rows, pa, pb, kc, ct, n, job.Alpha, beta, bias);
                        continue;
                    }
                    // Columns overhang C: compute the full tile aside, then store the valid part.
                    GemmMicroKernel.Tile(rows, pa, pb, kc, overhang, nr, 1f, 0f, null);
                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < cols; j++)
                        {
                            GemmMicroKernel.StoreScalar(overhang[r * nr + j], ct + (long)r * n + j,
                                job.Alpha, beta, bias == null ? null : bias + j);
                        }
                    }
                }
            }
        }
    }

    // Splits [0, length) into equal chunks of at most max (a multiple of unit), rounded up to unit.
    private static int ChunkSize(int length, int unit, int max)
    {
        max = Math.Max(unit, max / unit * unit);
        int chunks = DivUp(length, max);
        return RoundUp(DivUp(length, chunks), unit);
    }

    private static int DivUp(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int unit) => DivUp(x, unit) * unit;
}

using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// The cache-blocked matrix multiply (Goto/BLIS structure), in one of two arrangements:
/// <list type="bullet">
/// <item>op(A) is packed into row panels shared by all threads, then tiles of C are computed in parallel; each tile
/// packs the slice of op(B) it needs, one K block at a time, into its thread's buffer and runs the micro-kernel over
/// it (the general case);</item>
/// <item>C at least one tile tall, as tall as wide, and op(B) small (the weight gradients, C = Aᵀ·B over B*T rows):
/// op(B) is packed once, shared, and each thread takes blocks of C's rows, packs their A panels into its own buffer
/// and sweeps all of C's columns with them.</item>
/// </list>
/// </summary>
/// <remarks>
/// Packing B inside the tile keeps the packed slice in the computing core's L2 instead of a shared
/// copy in L3, and overlaps that packing with other threads' arithmetic. Inside a tile each A
/// micro-panel (MR x KC, 24 KiB) is loaded once into L1 and swept across all the tile's B
/// micro-panels, which stream from L2: the operand held in L1 is the small one, so the streamed one
/// does not evict it (holding the 32 KiB B micro-panel instead filled the whole L1). Large products are processed
/// in chunks of K and of rows so packed A stays within 16 MiB. Every element of C is the sum of its
/// KC-block partial sums, added in ascending k; chunks hold whole KC blocks and work is split over
/// M and N only, so C depends neither on the chunking, nor on the arrangement, nor on the thread count.
/// <para>The tall arrangement keeps each thread's packed A in its own L2: in the general one a tile reads A panels
/// the other thread packed, and on the weight-gradient shapes each thread's tiles ran 20-40% slower with two threads
/// than with one (the busy time of the tiles, measured), while OpenBLAS, which packs A per thread, scaled 1.95x.</para>
/// </remarks>
internal static unsafe class PackedGemm
{
    // K block: an A micro-panel (MR x KC floats, 24 KiB for MR = 12) stays in the 32 KiB L1 while the tile's B
    // micro-panels stream past it from L2. 512 rather than 256: half the passes over C (each reads and writes the C
    // tile) and half the micro-kernel epilogues; against OpenBLAS in the same runs (gemm-vs-openblas, B*T = 512, two
    // A/B pairs) it made 12 of the 15 training shapes 3-10% faster and none slower.
    private const int KC = 512;

    // Rows of C per tile. A panels are read once per tile and K block, so the tile's A need not fit
    // L2; only its B slice must. Up to 768 rows, the training shapes (B*T = 256, 512) get a single row
    // block and B is packed once (two row blocks at 512 rows cost about 10%).
    private const int MaxTileRows = 768;

    // Widest tile, in micro-panels of NR columns: its B slice (KC x 8 * NR floats, 512 KiB) sits in the 1 MiB L2.
    private const int MaxTilePanels = 8;

    // Tiles per thread wanted: enough to even out threads that start late or are interrupted.
    private const int TilesPerThread = 3;

    // A chunk of packed A, or a shared packed B, holds at most this many floats (16 MiB). Large enough that the
    // K-heavy products (lm head dInput: 512 rows, k = 50257) hold all their rows in one chunk and pack B once: with
    // 8 MiB they packed it twice and ran 8% slower.
    internal const long MaxPackedFloats = 4L << 20;

    // Longest K chunk, in KC blocks: long enough that the chunks' extra passes over C are rare, short
    // enough that a chunk still holds hundreds of rows.
    internal const int MaxChunkBlocks = 16;

    // A panels per item of the packing phase: at one k, a transposed A's rows for them span whole cache lines.
    private const int PanelsPerPackItem = 8;

    // Rows of C per item of the tall arrangement: its packed A (96 x KC floats, 192 KiB) and the B slice it sweeps
    // (512 KiB) share the 1 MiB L2, and a tall product makes dozens of items, so the threads finish together.
    private const int TallTileRows = 96;

    // Below this many multiply-adds a product runs on the calling thread: waking workers would cost more.
    private const long ParallelThreshold = 1L << 21;

    private struct Job
    {
        public float* A, B, C, Bias, PackedA;

        // The tall arrangement's B, packed once for all K blocks and columns: block kb holds every column panel
        // (kc x nr) one after another.
        public float* SharedB;
        public int M, N, K;
        public bool TransA, TransB;
        public float Alpha, Beta;

        // The general arrangement's current chunk: rows [RowStart, RowStart + Rows) of C, summed over k in
        // [KStart, KStart + KLength).
        public int RowStart, Rows, KStart, KLength;

        // Tiles: RowBlocks x ColBlocks of TileRows x TileCols.
        public int TileRows, TileCols, RowBlocks, ColBlocks;

        // Packs B panels from another storage than fp32 (CompactGemm's bf16/int8 weights), or null.
        public delegate*<void*, int, int, int, int, int, float*, void> PackB;
        public void* PackBState;
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
    /// <param name="maxPackedFloats">Size limit of a packed A chunk and of the tall arrangement's shared packed B (tests make
    /// it small).</param>
    /// <param name="maxChunkBlocks">Longest K chunk in KC blocks (tests make it small).</param>
    /// <param name="packB">When not null, packs B's panels instead of <see cref="GemmPacking.PackB"/> (b is then unused):
    /// (state, j, cols, k0, kc, nr, dst) with <see cref="GemmPacking.PackB"/>'s meaning.</param>
    /// <param name="packBState">The state <paramref name="packB"/> receives.</param>
    public static void Run(float* a, float* b, float* c, float* bias, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta,
        long maxPackedFloats = MaxPackedFloats, int maxChunkBlocks = MaxChunkBlocks,
        delegate*<void*, int, int, int, int, int, float*, void> packB = null, void* packBState = null)
    {
        int mr = GemmMicroKernel.Rows;
        var job = new Job
        {
            A = a, B = b, C = c, Bias = bias, M = m, N = n, K = k,
            TransA = transA, TransB = transB, Alpha = alpha, Beta = beta,
            PackB = packB, PackBState = packBState,
        };
        bool parallel = (long)m * n * k >= ParallelThreshold;
        long sharedB = (long)k * RoundUp(n, GemmMicroKernel.Cols);
        // At least a tile tall and as tall as wide. A wide C (768 x 3072) ran 3-5% faster in the general arrangement,
        // whose tiles then split the columns; a square one (768 x 768) 0-9% faster in this one.
        if (m >= MaxTileRows && m >= n && sharedB <= maxPackedFloats)
        {
            RunTall(&job, sharedB, parallel);
            return;
        }

        // K chunks short enough that a chunk holds all of C's rows when packed A allows, so B is packed once.
        int rowsAllowed = (int)Math.Min(int.MaxValue, maxPackedFloats / RoundUp(m, mr));
        int chunkK = ChunkSize(k, KC, Math.Min(KC * maxChunkBlocks, Math.Max(KC, rowsAllowed)));
        int chunkRows = ChunkSize(m, mr, (int)Math.Max(mr, maxPackedFloats / chunkK));
        job.PackedA = GemmWorkspace.Current.PackedA((long)RoundUp(chunkRows, mr) * chunkK);

        for (int kStart = 0; kStart < k; kStart += chunkK)
        {
            for (int rowStart = 0; rowStart < m; rowStart += chunkRows)
            {
                job.KStart = kStart;
                job.KLength = Math.Min(chunkK, k - kStart);
                job.RowStart = rowStart;
                job.Rows = Math.Min(chunkRows, m - rowStart);
                PlanTiles(ref job);

                Run(&job, DivUp(DivUp(job.Rows, mr), PanelsPerPackItem), &PackA, parallel);
                Run(&job, job.RowBlocks * job.ColBlocks, &ComputeTile, parallel);
            }
        }
    }

    // The tall arrangement: B packed once (all of k, every column), then blocks of TallTileRows rows of C.
    private static void RunTall(Job* job, long sharedB, bool parallel)
    {
        job->SharedB = GemmWorkspace.Current.PackedB(sharedB);
        Run(job, DivUp(job->N, GemmMicroKernel.Cols), &PackSharedB, parallel);
        Run(job, DivUp(job->M, TallTileRows), &ComputeRowBlock, parallel);
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

    // Splits the chunk's C into tiles: rows in blocks of up to MaxTileRows, columns into about three
    // blocks per thread, enough to balance, yet wide, because each tile packs its own B slice row by
    // row and narrow slices make short copies (12-tile splits packed B at 0.8x OpenBLAS's speed on
    // K-heavy shapes). The split does not change any result.
    private static void PlanTiles(ref Job job)
    {
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        int rowPanels = DivUp(job.Rows, mr);
        int panelsPerRowBlock = DivUp(rowPanels, DivUp(job.Rows, MaxTileRows));
        job.TileRows = panelsPerRowBlock * mr;
        job.RowBlocks = DivUp(rowPanels, panelsPerRowBlock);

        int colPanels = DivUp(job.N, nr);
        int wanted = DivUp(TilesPerThread * CpuParallel.ThreadCount, job.RowBlocks);
        int colBlocks = Math.Clamp(wanted, DivUp(colPanels, MaxTilePanels), colPanels);
        int panelsPerColBlock = DivUp(colPanels, colBlocks);
        job.TileCols = panelsPerColBlock * nr;
        job.ColBlocks = DivUp(colPanels, panelsPerColBlock);
    }

    // Packed A is stored K block by K block: block kb holds every row panel of the chunk, each kc x mr,
    // one after another, so the rows a tile sweeps for one K block are one contiguous run that the
    // hardware prefetchers follow from panel to panel. An item packs PanelsPerPackItem panels.
    private static void PackA(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int mr = GemmMicroKernel.Rows;
        int row = item * PanelsPerPackItem * mr;
        int rows = Math.Min(PanelsPerPackItem * mr, job.Rows - row);
        long paddedRows = RoundUp(job.Rows, mr);
        for (int kb = 0; kb < job.KLength; kb += KC)
        {
            int kc = Math.Min(KC, job.KLength - kb);
            GemmPacking.PackA(job.A, job.M, job.K, job.TransA, job.RowStart + row, rows,
                job.KStart + kb, kc, mr, job.PackedA + kb * paddedRows + (long)row * kc);
        }
    }

    private static void PackSharedB(void* state, int panel)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int nr = GemmMicroKernel.Cols;
        int col = panel * nr;
        long paddedCols = RoundUp(job.N, nr);
        for (int kb = 0; kb < job.K; kb += KC)
        {
            int kc = Math.Min(KC, job.K - kb);
            PackBPanel(ref job, col, kb, kc, job.SharedB + kb * paddedCols + (long)col * kc);
        }
    }

    private static void PackBPanel(ref Job job, int col, int k0, int kc, float* dst)
    {
        int nr = GemmMicroKernel.Cols, cols = Math.Min(nr, job.N - col);
        if (job.PackB != null) job.PackB(job.PackBState, col, cols, k0, kc, nr, dst);
        else GemmPacking.PackB(job.B, job.N, job.K, job.TransB, col, cols, k0, kc, nr, dst);
    }

    // One item of the tall arrangement: rows [rowBegin, rowBegin + TallTileRows) of C, all columns. For each K block
    // the rows' A panels are packed into this thread's buffer and swept across C in slices of MaxTilePanels panels,
    // each slice's B staying in L2 while every A panel passes over it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeRowBlock(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        int rowBegin = item * TallTileRows;
        int rows = Math.Min(TallTileRows, job.M - rowBegin);
        float* packedA = GemmWorkspace.Current.PackedA((long)RoundUp(TallTileRows, mr) * KC);
        float* overhang = stackalloc float[GemmSimd512.Rows * 2 * GemmSimd512.Width];
        long paddedCols = RoundUp(job.N, nr);
        for (int kb = 0; kb < job.K; kb += KC)
        {
            int kc = Math.Min(KC, job.K - kb);
            GemmPacking.PackA(job.A, job.M, job.K, job.TransA, rowBegin, rows, kb, kc, mr, packedA);
            float* block = job.SharedB + kb * paddedCols;
            for (int colBegin = 0; colBegin < job.N; colBegin += MaxTilePanels * nr)
            {
                int colEnd = Math.Min(colBegin + MaxTilePanels * nr, job.N);
                Sweep(ref job, packedA, rowBegin, rows, block + (long)colBegin * kc, colBegin, colEnd, kc, kb == 0, overhang);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeTile(void* state, int tile)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols;
        int rowBegin = tile / job.ColBlocks * job.TileRows;
        int rowEnd = Math.Min(rowBegin + job.TileRows, job.Rows);
        int colBegin = tile % job.ColBlocks * job.TileCols;
        int colEnd = Math.Min(colBegin + job.TileCols, job.N);
        int k = job.KLength;
        float* packedB = GemmWorkspace.Current.PackedB((long)KC * job.TileCols);
        float* overhang = stackalloc float[GemmSimd512.Rows * 2 * GemmSimd512.Width];
        long paddedRows = RoundUp(job.Rows, mr);

        for (int kb = 0; kb < k; kb += KC)
        {
            int kc = Math.Min(KC, k - kb);
            for (int col = colBegin; col < colEnd; col += nr) PackBPanel(ref job, col, job.KStart + kb, kc, packedB + (long)(col - colBegin) * kc);
            float* panels = job.PackedA + kb * paddedRows + (long)rowBegin * kc;
            Sweep(ref job, panels, job.RowStart + rowBegin, rowEnd - rowBegin, packedB, colBegin, colEnd, kc, job.KStart + kb == 0, overhang);
        }
    }

    // C rows [row0, row0 + rows) x columns [colBegin, colEnd) += the A panels (consecutive, kc x mr each) times the
    // slice's B panels (consecutive, kc x nr each): every A panel, held in L1, passes over the whole slice. The first K
    // block of the product applies beta and bias; later blocks add onto C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep(ref Job job, float* panels, int row0, int rows, float* slice, int colBegin, int colEnd,
        int kc, bool first, float* overhang)
    {
        int mr = GemmMicroKernel.Rows, nr = GemmMicroKernel.Cols, n = job.N;
        float beta = first ? job.Beta : 1f;
        for (int r0 = 0; r0 < rows; r0 += mr)
        {
            float* pa = panels + (long)r0 * kc;
            int panelRows = Math.Min(mr, rows - r0);
            for (int col = colBegin; col < colEnd; col += nr)
            {
                float* pb = slice + (long)(col - colBegin) * kc;
                int cols = Math.Min(nr, n - col);
                float* bias = first && job.Bias != null ? job.Bias + col : null;
                float* ct = job.C + (long)(row0 + r0) * n + col;
                if (cols == nr)
                {
                    GemmMicroKernel.Tile(panelRows, pa, pb, kc, ct, n, job.Alpha, beta, bias);
                    continue;
                }
                // Columns overhang C: compute the full micro-tile aside, then store the valid part.
                GemmMicroKernel.Tile(panelRows, pa, pb, kc, overhang, nr, 1f, 0f, null);
                for (int r = 0; r < panelRows; r++)
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

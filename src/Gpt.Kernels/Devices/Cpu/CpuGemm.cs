using Gpt.Kernels.Devices.Cpu.Gemm;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// The CPU matrix multiply: packed, cache-blocked, SIMD (AVX-512, AVX2+FMA, or 128-bit vectors) and
/// multi-threaded through <see cref="CpuParallel"/>. Same contract as <see cref="GemmKernels"/>,
/// against which it is tested.
/// </summary>
/// <remarks>
/// Layout: row-major and contiguous. op(A) is [m, k], stored [m, k], or [k, m] when transA;
/// op(B) is [k, n], stored [k, n], or [n, k] when transB; C is [m, n].
/// Determinism: work is split over rows and columns of C only, never over k, so for given inputs C
/// is bit-identical from run to run and for any thread count.
/// Steady state allocates no managed memory: packing buffers are native and cached per thread.
/// </remarks>
internal static unsafe class CpuGemm
{
    // Batched products smaller than this many multiply-adds run one per item, in parallel over the batch.
    private const long SmallProduct = 1L << 22;

    private struct BatchJob
    {
        public float* A, B, C;
        public int M, N, K;
        public bool TransA, TransB;
        public float Alpha, Beta;
    }

    /// <summary>C = alpha * op(A) * op(B) + beta * C, plus bias[j] on every row when bias is given.</summary>
    /// <param name="a">A, stored [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="c">C, [m, n]; read only when <paramref name="beta"/> is not 0.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="transA">A is stored transposed, [k, m].</param>
    /// <param name="transB">B is stored transposed, [n, k].</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C (even NaN there is ignored).</param>
    /// <param name="bias">Empty, or [n] added to every row of C.</param>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA = false, bool transB = false,
        float alpha = 1f, float beta = 0f, ReadOnlySpan<float> bias = default)
    {
        GemmKernels.Validate(a.Length, b.Length, c.Length, bias.Length, 1, m, n, k);
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            Run(pa, pb, pc, bias.IsEmpty ? null : pbias, m, n, k, transA, transB, alpha, beta);
        }
    }

    /// <summary><paramref name="batch"/> independent products: A_i = a[i*m*k ..], B_i = b[i*k*n ..],
    /// C_i = c[i*m*n ..], each as in <see cref="MatMul"/>.</summary>
    /// <param name="a">The A matrices, one after another.</param>
    /// <param name="b">The B matrices, one after another.</param>
    /// <param name="c">The C matrices, one after another.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="transA">Each A is stored transposed, [k, m].</param>
    /// <param name="transB">Each B is stored transposed, [n, k].</param>
    /// <param name="alpha">Scale of the products.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C.</param>
    public static void BatchedMatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int batch, int m, int n, int k, bool transA = false, bool transB = false,
        float alpha = 1f, float beta = 0f)
    {
        GemmKernels.Validate(a.Length, b.Length, c.Length, 0, batch, m, n, k);
        if (batch == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new BatchJob
            {
                A = pa, B = pb, C = pc, M = m, N = n, K = k,
                TransA = transA, TransB = transB, Alpha = alpha, Beta = beta,
            };
            // Small products: one per item (their own loops then run inline). Large ones: one after
            // another, each spread over all threads. Either way each product is computed identically.
            if ((long)m * n * k < SmallProduct)
            {
                CpuParallel.For(batch, &job, &BatchItem);
                return;
            }
            for (int i = 0; i < batch; i++) BatchItem(&job, i);
        }
    }

    private static void BatchItem(void* state, int item)
    {
        ref BatchJob job = ref CpuParallel.State<BatchJob>(state);
        long m = job.M, n = job.N, k = job.K;
        Run(job.A + item * m * k, job.B + item * k * n, job.C + item * m * n, null,
            job.M, job.N, job.K, job.TransA, job.TransB, job.Alpha, job.Beta);
    }

    private static void Run(float* a, float* b, float* c, float* bias, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // An empty sum: C = beta * C + bias, through the same epilogue as every other path.
            for (long i = 0; i < (long)m * n; i++)
            {
                GemmMicroKernel.StoreScalar(0f, c + i, alpha, beta, bias == null ? null : bias + i % n);
            }
            return;
        }
        if (transB && m <= SkinnyGemm.MaxRows && (m == 1 || !transA))
        {
            // Decoding: a few rows against weights stored [n, k], streamed once without packing.
            SkinnyGemm.Run(a, b, c, bias, m, n, k, alpha, beta);
            return;
        }
        if (m == 1)
        {
            // op(A) is one row; stored [1, k] or [k, 1], it is the same k contiguous floats.
            Gemv.Run(a, b, c, bias, n, k, transB, alpha, beta);
            return;
        }
        PackedGemm.Run(a, b, c, bias, m, n, k, transA, transB, alpha, beta);
    }
}

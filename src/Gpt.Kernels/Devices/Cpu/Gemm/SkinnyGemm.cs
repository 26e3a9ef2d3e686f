using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// C[m, n] = alpha * A[m, k] B[n, k]ᵀ + beta * C (+ bias) for a few rows (m ≤ <see cref="MaxRows"/>): the
/// linear layers of token-by-token decoding, one row per sequence of the batch. Every weight is read once
/// per call, so memory bandwidth bounds it: the rows of B (contiguous, as nn.Linear stores them) are
/// streamed in order, each thread reading one run of consecutive rows, and all m dot products with a row
/// (or pair of rows) are done while it sits in L1. No packing: B is touched exactly once.
/// </summary>
/// <remarks>Work is split over n only, each element summed in a fixed order, so C is bit-identical for
/// any thread count.</remarks>
internal static unsafe class SkinnyGemm
{
    /// <summary>The most rows of A this kernel takes.</summary>
    public const int MaxRows = 8;

    // Rows of B per work item: 16 rows of k = 768 floats are 48 KB of one sequential read.
    private const int RowsPerItem = 16;

    // Below this many multiply-adds the product runs on the calling thread.
    private const long ParallelThreshold = 1L << 16;

    private static readonly bool Use512 = Vector512.IsHardwareAccelerated;
    private static readonly bool Use256 = !Use512 && Vector256.IsHardwareAccelerated;

    private struct Job
    {
        public float* A, B, C, Bias;
        public int M, N, K;
        public float Alpha, Beta;
    }

    /// <summary>Runs the product; 1 ≤ m ≤ <see cref="MaxRows"/>, n and k positive.</summary>
    /// <param name="a">A, [m, k].</param>
    /// <param name="b">B, stored [n, k].</param>
    /// <param name="c">C, [m, n].</param>
    /// <param name="bias">[n], or null.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites.</param>
    public static void Run(float* a, float* b, float* c, float* bias, int m, int n, int k, float alpha, float beta)
    {
        var job = new Job { A = a, B = b, C = c, Bias = bias, M = m, N = n, K = k, Alpha = alpha, Beta = beta };
        int items = (n + RowsPerItem - 1) / RowsPerItem;
        delegate*<void*, int, void> body = Use512 ? &Item<GemmSimd512, Vector512<float>>
            : Use256 ? &Item<GemmSimd256, Vector256<float>> : &Item<GemmSimd128, Vector128<float>>;
        if ((long)m * n * k >= ParallelThreshold) CpuParallel.For(items, &job, body);
        else for (int i = 0; i < items; i++) body(&job, i);
    }

    private static void Item<S, TV>(void* state, int item) where S : IGemmSimd<TV> where TV : struct
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int begin = item * RowsPerItem, end = Math.Min(job.N, begin + RowsPerItem);
        int m = job.M, k = job.K;
        float* lanes = stackalloc float[16];
        int j = begin;
        if (m == 1)
        {
            // One row at a time with four chains: B is read as one sequential stream.
            for (; j < end; j++) Store(ref job, 0, j, Dot<S, TV>(job.A, job.B + (long)j * k, k, lanes));
            return;
        }
        for (; j + 2 <= end; j += 2)
        {
            float* w0 = job.B + (long)j * k;
            int r = 0;
            for (; r + 4 <= m; r += 4) FourByTwo<S, TV>(ref job, r, j, w0, lanes);
            for (; r < m; r++) OneByTwo<S, TV>(ref job, r, j, w0, lanes);
        }
        for (; j < end; j++)
            for (int r = 0; r < m; r++) Store(ref job, r, j, Dot<S, TV>(job.A + (long)r * k, job.B + (long)j * k, k, lanes));
    }

    // Rows r..r+3 of A against rows j, j+1 of B: eight independent chains, six loads per eight multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourByTwo<S, TV>(ref Job job, int r, int j, float* w0, float* lanes) where S : IGemmSimd<TV> where TV : struct
    {
        int k = job.K, width = S.Width;
        float* w1 = w0 + k;
        float* x0 = job.A + (long)r * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        TV c00 = S.Zero, c01 = S.Zero, c10 = S.Zero, c11 = S.Zero, c20 = S.Zero, c21 = S.Zero, c30 = S.Zero, c31 = S.Zero;
        int kk = 0;
        for (; kk + width <= k; kk += width)
        {
            TV b0 = S.Load(w0 + kk), b1 = S.Load(w1 + kk);
            TV a = S.Load(x0 + kk);
            c00 = S.MultiplyAdd(a, b0, c00);
            c01 = S.MultiplyAdd(a, b1, c01);
            a = S.Load(x1 + kk);
            c10 = S.MultiplyAdd(a, b0, c10);
            c11 = S.MultiplyAdd(a, b1, c11);
            a = S.Load(x2 + kk);
            c20 = S.MultiplyAdd(a, b0, c20);
            c21 = S.MultiplyAdd(a, b1, c21);
            a = S.Load(x3 + kk);
            c30 = S.MultiplyAdd(a, b0, c30);
            c31 = S.MultiplyAdd(a, b1, c31);
        }
        Store(ref job, r, j, Sum<S, TV>(c00, lanes) + Tail(x0, w0, kk, k));
        Store(ref job, r, j + 1, Sum<S, TV>(c01, lanes) + Tail(x0, w1, kk, k));
        Store(ref job, r + 1, j, Sum<S, TV>(c10, lanes) + Tail(x1, w0, kk, k));
        Store(ref job, r + 1, j + 1, Sum<S, TV>(c11, lanes) + Tail(x1, w1, kk, k));
        Store(ref job, r + 2, j, Sum<S, TV>(c20, lanes) + Tail(x2, w0, kk, k));
        Store(ref job, r + 2, j + 1, Sum<S, TV>(c21, lanes) + Tail(x2, w1, kk, k));
        Store(ref job, r + 3, j, Sum<S, TV>(c30, lanes) + Tail(x3, w0, kk, k));
        Store(ref job, r + 3, j + 1, Sum<S, TV>(c31, lanes) + Tail(x3, w1, kk, k));
    }

    // Row r of A against rows j, j+1 of B, each with two chains over alternate vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneByTwo<S, TV>(ref Job job, int r, int j, float* w0, float* lanes) where S : IGemmSimd<TV> where TV : struct
    {
        int k = job.K, width = S.Width;
        float* w1 = w0 + k, x = job.A + (long)r * k;
        TV c0 = S.Zero, c1 = S.Zero, d0 = S.Zero, d1 = S.Zero;
        int kk = 0;
        for (; kk + 2 * width <= k; kk += 2 * width)
        {
            TV a = S.Load(x + kk), a2 = S.Load(x + kk + width);
            c0 = S.MultiplyAdd(a, S.Load(w0 + kk), c0);
            c1 = S.MultiplyAdd(a, S.Load(w1 + kk), c1);
            d0 = S.MultiplyAdd(a2, S.Load(w0 + kk + width), d0);
            d1 = S.MultiplyAdd(a2, S.Load(w1 + kk + width), d1);
        }
        for (; kk + width <= k; kk += width)
        {
            TV a = S.Load(x + kk);
            c0 = S.MultiplyAdd(a, S.Load(w0 + kk), c0);
            c1 = S.MultiplyAdd(a, S.Load(w1 + kk), c1);
        }
        Store(ref job, r, j, Sum<S, TV>(S.Add(c0, d0), lanes) + Tail(x, w0, kk, k));
        Store(ref job, r, j + 1, Sum<S, TV>(S.Add(c1, d1), lanes) + Tail(x, w1, kk, k));
    }

    // x · w over k with four chains over consecutive vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<S, TV>(float* x, float* w, int k, float* lanes) where S : IGemmSimd<TV> where TV : struct
    {
        int width = S.Width, kk = 0;
        TV c0 = S.Zero, c1 = S.Zero, c2 = S.Zero, c3 = S.Zero;
        for (; kk + 4 * width <= k; kk += 4 * width)
        {
            c0 = S.MultiplyAdd(S.Load(x + kk), S.Load(w + kk), c0);
            c1 = S.MultiplyAdd(S.Load(x + kk + width), S.Load(w + kk + width), c1);
            c2 = S.MultiplyAdd(S.Load(x + kk + 2 * width), S.Load(w + kk + 2 * width), c2);
            c3 = S.MultiplyAdd(S.Load(x + kk + 3 * width), S.Load(w + kk + 3 * width), c3);
        }
        for (; kk + width <= k; kk += width) c0 = S.MultiplyAdd(S.Load(x + kk), S.Load(w + kk), c0);
        return Sum<S, TV>(S.Add(S.Add(c0, c1), S.Add(c2, c3)), lanes) + Tail(x, w, kk, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum<S, TV>(TV v, float* lanes) where S : IGemmSimd<TV> where TV : struct
    {
        S.Store(lanes, v);
        float sum = 0f;
        for (int i = 0; i < S.Width; i++) sum += lanes[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* x, float* w, int from, int k)
    {
        float sum = 0f;
        for (int i = from; i < k; i++) sum = MathF.FusedMultiplyAdd(x[i], w[i], sum);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref Job job, int r, int j, float sum) =>
        GemmMicroKernel.StoreScalar(sum, job.C + (long)r * job.N + j, job.Alpha, job.Beta, job.Bias == null ? null : job.Bias + j);
}

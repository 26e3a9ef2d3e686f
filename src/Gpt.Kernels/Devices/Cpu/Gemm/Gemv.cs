using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// The m = 1 product y[n] = alpha * x[k] op(B) + beta * y (+ bias): memory bound, so B is streamed
/// once, unpacked, and the work is split over n.
/// </summary>
internal static unsafe class Gemv
{
    // Columns per item when B is [k, n]: each item streams a k x 512 strip of B.
    private const int ColsPerItem = 512;

    // Rows of B per item when B is [n, k]: each item computes 32 dot products.
    private const int DotsPerItem = 32;

    // Below this many multiply-adds the product runs on the calling thread.
    private const long ParallelThreshold = 1L << 16;

    private struct Job
    {
        public float* X, B, Y, Bias;
        public int N, K;
        public float Alpha, Beta;
    }

    /// <summary>y = alpha * x op(B) + beta * y (+ bias); n and k positive.</summary>
    /// <param name="x">The row vector, [k].</param>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="y">The result, [n].</param>
    /// <param name="bias">[n], or null.</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="transB">B is stored [n, k].</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old y; 0 overwrites.</param>
    public static void Run(float* x, float* b, float* y, float* bias, int n, int k, bool transB, float alpha, float beta)
    {
        var job = new Job { X = x, B = b, Y = y, Bias = bias, N = n, K = k, Alpha = alpha, Beta = beta };
        int items = transB ? (n + DotsPerItem - 1) / DotsPerItem : (n + ColsPerItem - 1) / ColsPerItem;
        delegate*<void*, int, void> body = transB ? &Dots : &Columns;
        if ((long)n * k >= ParallelThreshold)
        {
            CpuParallel.For(items, &job, body);
            return;
        }
        for (int i = 0; i < items; i++) body(&job, i);
    }

    // B is [k, n]: y[j] accumulates x[kk] * B[kk, j] in k order, a block of columns in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int w = Vector<float>.Count;
        int begin = item * ColsPerItem, end = Math.Min(begin + ColsPerItem, job.N);
        int j = begin;
        for (; j + 4 * w <= end; j += 4 * w)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* row = job.B + j;
            for (int kk = 0; kk < job.K; kk++, row += job.N)
            {
                var xv = new Vector<float>(job.X[kk]);
                s0 = Vector.FusedMultiplyAdd(xv, Vector.Load(row), s0);
                s1 = Vector.FusedMultiplyAdd(xv, Vector.Load(row + w), s1);
                s2 = Vector.FusedMultiplyAdd(xv, Vector.Load(row + 2 * w), s2);
                s3 = Vector.FusedMultiplyAdd(xv, Vector.Load(row + 3 * w), s3);
            }
            Store(ref job, j, s0);
            Store(ref job, j + w, s1);
            Store(ref job, j + 2 * w, s2);
            Store(ref job, j + 3 * w, s3);
        }
        for (; j + w <= end; j += w)
        {
            Vector<float> s = default;
            float* row = job.B + j;
            for (int kk = 0; kk < job.K; kk++, row += job.N)
            {
                s = Vector.FusedMultiplyAdd(new Vector<float>(job.X[kk]), Vector.Load(row), s);
            }
            Store(ref job, j, s);
        }
        for (; j < end; j++)
        {
            float s = 0f;
            float* column = job.B + j;
            for (int kk = 0; kk < job.K; kk++, column += job.N) s = MathF.FusedMultiplyAdd(job.X[kk], *column, s);
            Store(ref job, j, s);
        }
    }

    // B is [n, k]: y[j] is the dot product of x with row j of B, four rows sharing each load of x.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots(void* state, int item)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int begin = item * DotsPerItem, end = Math.Min(begin + DotsPerItem, job.N);
        int k = job.K;
        int j = begin;
        for (; j + 4 <= end; j += 4)
        {
            float* r0 = job.B + (long)j * k;
            float* r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            int kk = 0;
            for (; kk + Vector<float>.Count <= k; kk += Vector<float>.Count)
            {
                var xv = Vector.Load(job.X + kk);
                s0 = Vector.FusedMultiplyAdd(xv, Vector.Load(r0 + kk), s0);
                s1 = Vector.FusedMultiplyAdd(xv, Vector.Load(r1 + kk), s1);
                s2 = Vector.FusedMultiplyAdd(xv, Vector.Load(r2 + kk), s2);
                s3 = Vector.FusedMultiplyAdd(xv, Vector.Load(r3 + kk), s3);
            }
            float d0 = Vector.Sum(s0), d1 = Vector.Sum(s1), d2 = Vector.Sum(s2), d3 = Vector.Sum(s3);
            for (; kk < k; kk++)
            {
                float xk = job.X[kk];
                d0 = MathF.FusedMultiplyAdd(xk, r0[kk], d0);
                d1 = MathF.FusedMultiplyAdd(xk, r1[kk], d1);
                d2 = MathF.FusedMultiplyAdd(xk, r2[kk], d2);
                d3 = MathF.FusedMultiplyAdd(xk, r3[kk], d3);
            }
            Store(ref job, j, d0);
            Store(ref job, j + 1, d1);
            Store(ref job, j + 2, d2);
            Store(ref job, j + 3, d3);
        }
        for (; j < end; j++)
        {
            float* row = job.B + (long)j * k;
            Vector<float> s = default;
            int kk = 0;
            for (; kk + Vector<float>.Count <= k; kk += Vector<float>.Count)
            {
                s = Vector.FusedMultiplyAdd(Vector.Load(job.X + kk), Vector.Load(row + kk), s);
            }
            float d = Vector.Sum(s);
            for (; kk < k; kk++) d = MathF.FusedMultiplyAdd(job.X[kk], row[kk], d);
            Store(ref job, j, d);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref Job job, int j, Vector<float> sums)
    {
        for (int lane = 0; lane < Vector<float>.Count; lane++) Store(ref job, j + lane, sums[lane]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref Job job, int j, float sum) =>
        GemmMicroKernel.StoreScalar(sum, job.Y + j, job.Alpha, job.Beta, job.Bias == null ? null : job.Bias + j);
}

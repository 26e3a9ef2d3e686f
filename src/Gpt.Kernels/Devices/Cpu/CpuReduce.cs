using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Reductions on the CPU. Sums split the input into fixed-size chunks, sum each in double with SIMD
/// and combine the chunk sums in index order, so the result depends on the data alone, never on the
/// thread count. Same signatures as <see cref="ReduceKernels"/>.
/// </summary>
internal static unsafe class CpuReduce
{
    // Fixed, whatever the thread count: it defines the summation order.
    private const int SumChunk = 1 << 14;
    // Columns per column-sum item: two vectors, a cache line per row.
    private const int ColumnBlock = 16;

    private struct SumJob
    {
        public float* X;
        public int Length;
        public double* Partials;
        public bool Squares;
    }

    private struct ColumnJob
    {
        public float* Input, Output;
        public int Rows, Cols;
    }

    /// <inheritdoc cref="ReduceKernels.Sum"/>
    public static double Sum(ReadOnlySpan<float> x) => ChunkedSum(x, squares: false);

    /// <inheritdoc cref="ReduceKernels.SumOfSquares"/>
    public static double SumOfSquares(ReadOnlySpan<float> x) => ChunkedSum(x, squares: true);

    /// <inheritdoc cref="ReduceKernels.ColumnSum"/>
    public static void ColumnSum(ReadOnlySpan<float> input, Span<float> output, int rows, int cols)
    {
        KernelGuards.ColumnSum(input.Length, output.Length, rows, cols);
        if (rows == 0 || cols == 0) return;
        fixed (float* pi = input, po = output)
        {
            var job = new ColumnJob { Input = pi, Output = po, Rows = rows, Cols = cols };
            int blocks = (cols + ColumnBlock - 1) / ColumnBlock;
            if ((long)rows * cols < 1 << 16) ColumnBlocks(&job, 0, blocks);
            else CpuParallel.For(blocks, &job, &ColumnBlockItem);
        }
    }

    /// <inheritdoc cref="ReduceKernels.Max"/>
    public static float Max(ReadOnlySpan<float> x)
    {
        KernelGuards.NotEmpty(x.Length, nameof(x));
        return TensorPrimitives.Max(x);
    }

    /// <inheritdoc cref="ReduceKernels.ArgMax"/>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        KernelGuards.NotEmpty(x.Length, nameof(x));
        return TensorPrimitives.IndexOfMax(x);
    }

    private static double ChunkedSum(ReadOnlySpan<float> x, bool squares)
    {
        if (x.IsEmpty) return 0;
        int chunks = (x.Length + SumChunk - 1) / SumChunk;
        fixed (float* px = x)
        {
            var job = new SumJob { X = px, Length = x.Length, Partials = CpuScratch.Doubles(chunks), Squares = squares };
            if (chunks <= 2) for (int c = 0; c < chunks; c++) SumChunkItem(&job, c);
            else CpuParallel.For(chunks, &job, &SumChunkItem);
            double total = 0;
            for (int c = 0; c < chunks; c++) total += job.Partials[c];
            return total;
        }
    }

    private static void SumChunkItem(void* state, int chunk)
    {
        ref SumJob job = ref CpuParallel.State<SumJob>(state);
        int start = chunk * SumChunk;
        int n = Math.Min(SumChunk, job.Length - start);
        float* x = job.X + start;
        Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
        Vector256<double> a2 = Vector256<double>.Zero, a3 = Vector256<double>.Zero;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            Vector256<float> v0 = Vector256.Load(x + i), v1 = Vector256.Load(x + i + 8);
            Vector256<double> d0 = Vector256.WidenLower(v0), d1 = Vector256.WidenUpper(v0);
            Vector256<double> d2 = Vector256.WidenLower(v1), d3 = Vector256.WidenUpper(v1);
            if (job.Squares)
            {
                // A float's square is exact in double (24 + 24 bits < 53).
                d0 *= d0; d1 *= d1; d2 *= d2; d3 *= d3;
            }
            a0 += d0; a1 += d1; a2 += d2; a3 += d3;
        }
        double sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < n; i++)
        {
            double d = x[i];
            sum += job.Squares ? d * d : d;
        }
        job.Partials[chunk] = sum;
    }

    private static void ColumnBlockItem(void* state, int block) => ColumnBlocks(state, block, block + 1);

    // output[c] += sum over rows, each column summed in row order in float: the reference's order.
    private static void ColumnBlocks(void* state, int firstBlock, int endBlock)
    {
        ref ColumnJob job = ref CpuParallel.State<ColumnJob>(state);
        int cols = job.Cols;
        for (int block = firstBlock; block < endBlock; block++)
        {
            int c0 = block * ColumnBlock;
            int width = Math.Min(ColumnBlock, cols - c0);
            float* column = job.Input + c0;
            float* output = job.Output + c0;
            if (width == ColumnBlock)
            {
                Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
                for (int r = 0; r < job.Rows; r++)
                {
                    s0 += Vector256.Load(column + (long)r * cols);
                    s1 += Vector256.Load(column + (long)r * cols + 8);
                }
                Vector256.Store(Vector256.Load(output) + s0, output);
                Vector256.Store(Vector256.Load(output + 8) + s1, output + 8);
                continue;
            }
            for (int c = 0; c < width; c++)
            {
                float sum = 0f;
                for (int r = 0; r < job.Rows; r++) sum += column[(long)r * cols + c];
                output[c] += sum;
            }
        }
    }
}

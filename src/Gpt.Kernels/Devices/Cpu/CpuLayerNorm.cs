using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Layer normalisation on the CPU: SIMD per row, rows split across threads. The backward pass
/// computes the input gradient row-parallel and the weight and bias gradients column-parallel
/// (each column summed over rows in order), so no two threads write the same element and the
/// result does not depend on the thread count. Same signatures as <see cref="LayerNormKernels"/>.
/// </summary>
internal static unsafe class CpuLayerNorm
{
    // Elements (rows × cols) per thread below which the hand-off costs more than the work.
    private const int Grain = 1 << 14;
    // Columns per weight/bias-gradient item: two vectors, a cache line per row.
    private const int ColumnBlock = 16;

    private struct Job
    {
        public float* Input, Weight, Bias, Output, Mean, Rstd, DOutput, DInput, DWeight, DBias;
        public int Rows, Cols;
        public float Epsilon;
    }

    /// <inheritdoc cref="LayerNormKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> output, Span<float> mean, Span<float> rstd, int rows, int cols, float epsilon)
    {
        KernelGuards.LayerNormForward(input.Length, weight.Length, bias.Length, output.Length,
            mean.Length, rstd.Length, rows, cols, epsilon);
        if (cols == 0) return;
        fixed (float* pi = input, pw = weight, pb = bias, po = output, pm = mean, pr = rstd)
        {
            var job = new Job { Input = pi, Weight = pw, Bias = pb, Output = po, Mean = pm, Rstd = pr, Rows = rows, Cols = cols, Epsilon = epsilon };
            CpuRanges.For(rows, Math.Max(1, Grain / cols), &job, &ForwardRows);
        }
    }

    /// <inheritdoc cref="LayerNormKernels.Backward"/>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        Span<float> dInput, Span<float> dWeight, Span<float> dBias, int rows, int cols)
    {
        KernelGuards.LayerNormBackward(dOutput.Length, input.Length, weight.Length, mean.Length, rstd.Length,
            dInput.Length, dWeight.Length, dBias.Length, rows, cols);
        if (cols == 0 || rows == 0) return;
        fixed (float* pdo = dOutput, pi = input, pw = weight, pm = mean, pr = rstd, pdi = dInput, pdw = dWeight, pdb = dBias)
        {
            var job = new Job
            {
                DOutput = pdo, Input = pi, Weight = pw, Mean = pm, Rstd = pr, DInput = pdi,
                DWeight = dWeight.IsEmpty ? null : pdw, DBias = dBias.IsEmpty ? null : pdb, Rows = rows, Cols = cols,
            };
            CpuRanges.For(rows, Math.Max(1, Grain / cols), &job, &BackwardInputRows);
            if (job.DWeight == null && job.DBias == null) return;
            int blocks = (cols + ColumnBlock - 1) / ColumnBlock;
            if ((long)rows * cols < Grain) for (int b = 0; b < blocks; b++) BackwardParameterColumns(&job, b);
            else CpuParallel.For(blocks, &job, &BackwardParameterColumns);
        }
    }

    private static void ForwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int cols = job.Cols;
        for (int r = start; r < start + count; r++)
        {
            float* x = job.Input + (long)r * cols;  // (cols)
            float* y = job.Output + (long)r * cols; // (cols)
            float m = CpuVector.Sum(x, cols) / cols;
            float s = 1f / MathF.Sqrt(CpuVector.SumSquaredDeviations(x, m, cols) / cols + job.Epsilon);
            job.Mean[r] = m;
            job.Rstd[r] = s;

            Vector256<float> mv = Vector256.Create(m), sv = Vector256.Create(s);
            int c = 0;
            for (; c <= cols - 8; c += 8)
            {
                Vector256<float> n = (Vector256.Load(x + c) - mv) * sv;
                Vector256.Store(Vector256.FusedMultiplyAdd(n, Vector256.Load(job.Weight + c), Vector256.Load(job.Bias + c)), y + c);
            }
            for (; c < cols; c++) y[c] = (x[c] - m) * s * job.Weight[c] + job.Bias[c];
        }
    }

    // dx += rstd * (g - mean(g) - n * mean(g n)), with n the normalised input and g = dy * weight.
    private static void BackwardInputRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int cols = job.Cols;
        float* w = job.Weight;
        for (int r = start; r < start + count; r++)
        {
            float* x = job.Input + (long)r * cols;    // (cols)
            float* dy = job.DOutput + (long)r * cols; // (cols)
            float* dx = job.DInput + (long)r * cols;  // (cols)
            float m = job.Mean[r], s = job.Rstd[r];
            Vector256<float> mv = Vector256.Create(m), sv = Vector256.Create(s);

            Vector256<float> gSumV = Vector256<float>.Zero, gnSumV = Vector256<float>.Zero;
            int c = 0;
            for (; c <= cols - 8; c += 8)
            {
                Vector256<float> n = (Vector256.Load(x + c) - mv) * sv;
                Vector256<float> g = Vector256.Load(dy + c) * Vector256.Load(w + c);
                gSumV += g;
                gnSumV = Vector256.FusedMultiplyAdd(g, n, gnSumV);
            }
            float gSum = Vector256.Sum(gSumV), gnSum = Vector256.Sum(gnSumV);
            for (; c < cols; c++)
            {
                float n = (x[c] - m) * s;
                float g = dy[c] * w[c];
                gSum += g;
                gnSum += g * n;
            }
            float gMean = gSum / cols, gnMean = gnSum / cols;

            Vector256<float> gMeanV = Vector256.Create(gMean), gnMeanV = Vector256.Create(gnMean);
            for (c = 0; c <= cols - 8; c += 8)
            {
                Vector256<float> n = (Vector256.Load(x + c) - mv) * sv;
                Vector256<float> g = Vector256.Load(dy + c) * Vector256.Load(w + c);
                Vector256<float> d = (g - gMeanV - n * gnMeanV) * sv;
                Vector256.Store(Vector256.Load(dx + c) + d, dx + c);
            }
            for (; c < cols; c++)
            {
                float n = (x[c] - m) * s;
                float g = dy[c] * w[c];
                dx[c] += (g - gMean - n * gnMean) * s;
            }
        }
    }

    // dWeight[c] += sum_r n[r, c] dy[r, c]; dBias[c] += sum_r dy[r, c]: rows in order, as the reference.
    private static void BackwardParameterColumns(void* state, int block)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int cols = job.Cols, c0 = block * ColumnBlock;
        int width = Math.Min(ColumnBlock, cols - c0);
        float* dWeight = job.DWeight, dBias = job.DBias;
        if (width == ColumnBlock)
        {
            Vector256<float> w0 = Vector256<float>.Zero, w1 = w0, b0 = w0, b1 = w0;
            if (dWeight != null) { w0 = Vector256.Load(dWeight + c0); w1 = Vector256.Load(dWeight + c0 + 8); }
            if (dBias != null) { b0 = Vector256.Load(dBias + c0); b1 = Vector256.Load(dBias + c0 + 8); }
            for (int r = 0; r < job.Rows; r++)
            {
                float* x = job.Input + (long)r * cols + c0;
                float* dy = job.DOutput + (long)r * cols + c0;
                Vector256<float> mv = Vector256.Create(job.Mean[r]), sv = Vector256.Create(job.Rstd[r]);
                Vector256<float> dy0 = Vector256.Load(dy), dy1 = Vector256.Load(dy + 8);
                w0 += (Vector256.Load(x) - mv) * sv * dy0;
                w1 += (Vector256.Load(x + 8) - mv) * sv * dy1;
                b0 += dy0;
                b1 += dy1;
            }
            if (dWeight != null) { Vector256.Store(w0, dWeight + c0); Vector256.Store(w1, dWeight + c0 + 8); }
            if (dBias != null) { Vector256.Store(b0, dBias + c0); Vector256.Store(b1, dBias + c0 + 8); }
            return;
        }
        for (int c = c0; c < c0 + width; c++)
        {
            float wSum = dWeight != null ? dWeight[c] : 0f, bSum = dBias != null ? dBias[c] : 0f;
            for (int r = 0; r < job.Rows; r++)
            {
                float dy = job.DOutput[(long)r * cols + c];
                wSum += (job.Input[(long)r * cols + c] - job.Mean[r]) * job.Rstd[r] * dy;
                bSum += dy;
            }
            if (dWeight != null) dWeight[c] = wSum;
            if (dBias != null) dBias[c] = bSum;
        }
    }
}

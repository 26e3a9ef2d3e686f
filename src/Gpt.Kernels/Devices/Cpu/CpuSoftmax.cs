using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Row-wise softmax on the CPU: SIMD per row (vector exp), rows split across threads.
/// Same signatures as <see cref="SoftmaxKernels"/>.
/// </summary>
internal static unsafe class CpuSoftmax
{
    private const int Grain = 1 << 14;

    private struct Job
    {
        public float* Input, DOutput, Output;
        public int Cols;
    }

    /// <inheritdoc cref="SoftmaxKernels.Forward"/>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, int rows, int cols)
    {
        KernelGuards.Rows(input.Length, nameof(input), output.Length, nameof(output), rows, cols);
        KernelGuards.SameOrDisjoint(input, output, rows * cols, nameof(input), nameof(output));
        if (cols == 0) return;
        fixed (float* pi = input, po = output)
        {
            var job = new Job { Input = pi, Output = po, Cols = cols };
            CpuRanges.For(rows, Math.Max(1, Grain / cols), &job, &ForwardRows);
        }
    }

    /// <inheritdoc cref="SoftmaxKernels.Backward"/>
    public static void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int rows, int cols)
    {
        KernelGuards.Rows(output.Length, nameof(output), dOutput.Length, nameof(dOutput), rows, cols);
        KernelGuards.Length(dInput.Length, (long)rows * cols, nameof(dInput), "rows × cols");
        if (cols == 0) return;
        fixed (float* py = output, pd = dOutput, pdx = dInput)
        {
            var job = new Job { Input = py, DOutput = pd, Output = pdx, Cols = cols };
            CpuRanges.For(rows, Math.Max(1, Grain / cols), &job, &BackwardRows);
        }
    }

    private static void ForwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int cols = job.Cols;
        for (int r = start; r < start + count; r++)
        {
            float* x = job.Input + (long)r * cols;  // (cols)
            float* y = job.Output + (long)r * cols; // (cols); may be x
            float max = CpuVector.Max(x, cols);
            float sum = CpuVector.Exp(x, max, y, cols);
            CpuVector.Scale(y, 1f / sum, cols);
        }
    }

    // dx += y * (dy - sum(dy * y)).
    private static void BackwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int cols = job.Cols;
        for (int r = start; r < start + count; r++)
        {
            float* y = job.Input + (long)r * cols;    // (cols)
            float* dy = job.DOutput + (long)r * cols; // (cols)
            float* dx = job.Output + (long)r * cols;  // (cols)
            float dot = CpuVector.Dot(dy, y, cols);
            Vector256<float> dotV = Vector256.Create(dot);
            int c = 0;
            for (; c <= cols - 8; c += 8)
            {
                Vector256<float> d = Vector256.Load(y + c) * (Vector256.Load(dy + c) - dotV);
                Vector256.Store(Vector256.Load(dx + c) + d, dx + c);
            }
            for (; c < cols; c++) dx[c] += y[c] * (dy[c] - dot);
        }
    }
}

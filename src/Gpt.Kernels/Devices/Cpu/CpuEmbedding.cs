using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Embedding lookup on the CPU. The forward pass copies rows in parallel; the backward pass splits
/// the table's columns into blocks, one per work item, and adds the ids' gradients in order within
/// each block, so repeated ids never race and the sums are the reference's, bit for bit.
/// Same signatures as <see cref="EmbeddingKernels"/>.
/// </summary>
internal static unsafe class CpuEmbedding
{
    private const int Grain = 1 << 15;
    // Columns per backward work item: four cache lines per row.
    private const int ColumnBlock = 64;

    private struct Job
    {
        public int* Ids;
        public float* Source, Destination;
        public int Count, Dim;
    }

    /// <inheritdoc cref="EmbeddingKernels.Forward"/>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, Span<float> output,
        int count, int dim, int tableRows)
    {
        KernelGuards.EmbeddingForward(ids, table.Length, output.Length, count, dim, tableRows);
        if (dim == 0) return;
        fixed (int* pi = ids)
        fixed (float* pt = table, po = output)
        {
            var job = new Job { Ids = pi, Source = pt, Destination = po, Count = count, Dim = dim };
            CpuRanges.For(count, Math.Max(1, Grain / dim), &job, &ForwardRows);
        }
    }

    /// <inheritdoc cref="EmbeddingKernels.Backward"/>
    public static void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dOutput, Span<float> dTable, int count, int dim)
    {
        KernelGuards.EmbeddingBackward(ids, dOutput.Length, dTable.Length, count, dim);
        if (dim == 0 || count == 0) return;
        fixed (int* pi = ids)
        fixed (float* pd = dOutput, pt = dTable)
        {
            var job = new Job { Ids = pi, Source = pd, Destination = pt, Count = count, Dim = dim };
            int blocks = (dim + ColumnBlock - 1) / ColumnBlock;
            if ((long)count * dim < Grain) for (int b = 0; b < blocks; b++) BackwardColumns(&job, b);
            else CpuParallel.For(blocks, &job, &BackwardColumns);
        }
    }

    private static void ForwardRows(void* state, int start, int count)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        long bytes = (long)job.Dim * sizeof(float);
        for (int i = start; i < start + count; i++)
            Buffer.MemoryCopy(job.Source + (long)job.Ids[i] * job.Dim, job.Destination + (long)i * job.Dim, bytes, bytes);
    }

    private static void BackwardColumns(void* state, int block)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int dim = job.Dim, c0 = block * ColumnBlock;
        int width = Math.Min(ColumnBlock, dim - c0);
        for (int i = 0; i < job.Count; i++)
        {
            float* dy = job.Source + (long)i * dim + c0;                    // (width)
            float* dRow = job.Destination + (long)job.Ids[i] * dim + c0;    // (width)
            int c = 0;
            for (; c <= width - 8; c += 8) Vector256.Store(Vector256.Load(dRow + c) + Vector256.Load(dy + c), dRow + c);
            for (; c < width; c++) dRow[c] += dy[c];
        }
    }
}

using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// Table lookup (token and position embeddings), the reference version: the <c>[Kernel]</c> bodies of
/// <see cref="Gpu.EmbeddingGpuKernels"/> run on the CPU (backward: a thread per column, ids in order).
/// </summary>
internal static class EmbeddingKernels
{
    /// <summary>output[i] = table[ids[i]]: copies one table row per id.</summary>
    /// <param name="ids">(count) row indices into the table.</param>
    /// <param name="table">(tableRows, dim) the embedding table.</param>
    /// <param name="output">(count, dim) the looked-up rows.</param>
    /// <param name="count">Number of ids.</param>
    /// <param name="dim">Row width.</param>
    /// <param name="tableRows">Number of rows in the table.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, tableRows); nothing is written.</exception>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, Span<float> output,
        int count, int dim, int tableRows)
    {
        KernelGuards.EmbeddingForward(ids, table.Length, output.Length, count, dim, tableRows);
        if (count == 0 || dim == 0) return;
        EmbeddingGpuKernels.ForwardKernel.LaunchCpu(ReferenceLaunch.Groups(count * dim), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(ids), ReferenceLaunch.Writable(table), output, count, dim, tableRows);
    }

    /// <summary>dTable[ids[i]] += dOutput[i] for every i, in order, so repeated ids sum deterministically.</summary>
    /// <param name="ids">(count) the forward ids.</param>
    /// <param name="dOutput">(count, dim) gradient with respect to the output.</param>
    /// <param name="dTable">(tableRows, dim) accumulates the gradient of the table.</param>
    /// <param name="count">Number of ids.</param>
    /// <param name="dim">Row width.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the rows of <paramref name="dTable"/>;
    /// nothing is written.</exception>
    public static void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dOutput, Span<float> dTable, int count, int dim)
    {
        KernelGuards.EmbeddingBackward(ids, dOutput.Length, dTable.Length, count, dim);
        if (count == 0 || dim == 0) return;
        EmbeddingGpuKernels.BackwardKernel.LaunchCpu(ReferenceLaunch.Groups(dim), ReferenceLaunch.GroupSize,
            ReferenceLaunch.Writable(ids), ReferenceLaunch.Writable(dOutput), dTable, count, dim, dTable.Length / dim);
    }
}

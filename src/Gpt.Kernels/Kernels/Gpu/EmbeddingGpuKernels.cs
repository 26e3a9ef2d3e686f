using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// Embedding lookup and its gradient for GPU devices. The ids stay on the device, so they are not checked
/// there: an id outside the table reads zeros and adds nothing, instead of touching memory it does not own.
/// The backward pass has one thread per column scanning the ids in order: no atomics, the same sum every run.
/// </summary>
internal static partial class EmbeddingGpuKernels
{
    /// <summary>output (count, dim) = table[ids]; one thread per output element.</summary>
    /// <param name="ids">(count) row indices.</param>
    /// <param name="table">(tableRows, dim) embeddings.</param>
    /// <param name="output">(count, dim) the rows looked up.</param>
    /// <param name="count">Number of ids.</param>
    /// <param name="dim">Row length.</param>
    /// <param name="tableRows">Rows in the table.</param>
    [Kernel]
    internal static void Forward(ArrayView<int> ids, ArrayView<float> table, ArrayView<float> output, int count, int dim, int tableRows)
    {
        int index = Grid.GlobalIndex.X;
        if (index >= count * dim) return;
        int i = index / dim, d = index % dim;
        int id = ids[i];
        output[index] = id >= 0 && id < tableRows ? table[id * dim + d] : 0f;
    }

    /// <summary>dTable[ids[i]] += dOutput[i]; one thread per column, ids in order.</summary>
    /// <param name="ids">(count) row indices.</param>
    /// <param name="dOutput">(count, dim) gradient of the looked-up rows.</param>
    /// <param name="dTable">(tableRows, dim) accumulates the table's gradient.</param>
    /// <param name="count">Number of ids.</param>
    /// <param name="dim">Row length.</param>
    /// <param name="tableRows">Rows in the table.</param>
    [Kernel]
    internal static void Backward(ArrayView<int> ids, ArrayView<float> dOutput, ArrayView<float> dTable, int count, int dim, int tableRows)
    {
        int d = Grid.GlobalIndex.X;
        if (d >= dim) return;
        for (int i = 0; i < count; i++)
        {
            int id = ids[i];
            if (id >= 0 && id < tableRows) dTable[id * dim + d] += dOutput[i * dim + d];
        }
    }
}

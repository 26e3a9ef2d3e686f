using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// C = alpha·op(A)·op(B) + beta·C (+ bias per column) for GPU devices, batched over the grid's Z dimension
/// (product z reads A, B and C at z·m·k, z·k·n and z·m·n). Both kernels add k in order, so they agree with
/// each other and with <see cref="GemmKernels.MatMul"/> up to the compiler's fused multiply-adds.
/// <see cref="Naive"/>: one thread per element of C, the obvious loop. <see cref="Tiled"/>: groups of
/// <see cref="Tile"/>×<see cref="Tile"/> threads stage tiles of op(A) and op(B) in shared memory, so each
/// element is read from global memory once per tile instead of once per product.
/// Launch: groups (⌈n/Tile⌉, ⌈m/Tile⌉, batch), group size (Tile, Tile).
/// </summary>
internal static partial class GemmGpuKernels
{
    /// <summary>The tile edge (threads per group: Tile²).</summary>
    internal const int Tile = 16;

    /// <summary>One thread per element of C: the reference form.</summary>
    /// <param name="a">(batch, m, k), or (batch, k, m) when transA is 1.</param>
    /// <param name="b">(batch, k, n), or (batch, n, k) when transB is 1.</param>
    /// <param name="c">(batch, m, n) results.</param>
    /// <param name="bias">(n) added per column, or empty.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="transA">1 to read A transposed.</param>
    /// <param name="transB">1 to read B transposed.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C (0: C is not read).</param>
    [Kernel]
    internal static void Naive(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        int m, int n, int k, int transA, int transB, float alpha, float beta)
    {
        int j = Grid.GlobalIndex.X, i = Grid.GlobalIndex.Y, z = Grid.GlobalIndex.Z;
        if (i >= m || j >= n) return;
        var A = a.SubView(z * m * k, m * k); // (m, k) or (k, m)
        var B = b.SubView(z * k * n, k * n); // (k, n) or (n, k)
        float sum = 0f;
        for (int p = 0; p < k; p++)
        {
            float aip = transA != 0 ? A[p * m + i] : A[i * k + p];
            float bpj = transB != 0 ? B[j * k + p] : B[p * n + j];
            sum += aip * bpj;
        }
        Store(c, bias, z * m * n + i * n + j, j, sum, alpha, beta);
    }

    /// <summary>The same product, tiled in shared memory; see the type's summary for the launch.</summary>
    /// <param name="a">(batch, m, k), or (batch, k, m) when transA is 1.</param>
    /// <param name="b">(batch, k, n), or (batch, n, k) when transB is 1.</param>
    /// <param name="c">(batch, m, n) results.</param>
    /// <param name="bias">(n) added per column, or empty.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="transA">1 to read A transposed.</param>
    /// <param name="transB">1 to read B transposed.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C (0: C is not read).</param>
    [Kernel]
    internal static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        int m, int n, int k, int transA, int transB, float alpha, float beta)
    {
        var aTile = SharedMemory.Allocate<float>(Tile * Tile); // (Tile rows of op(A), Tile of k)
        var bTile = SharedMemory.Allocate<float>(Tile * Tile); // (Tile of k, Tile columns of op(B))
        int tx = Group.IdxX, ty = Group.IdxY, z = Grid.IdxZ;
        int j = Grid.IdxX * Tile + tx, i = Grid.IdxY * Tile + ty;
        var A = a.SubView(z * m * k, m * k); // (m, k) or (k, m)
        var B = b.SubView(z * k * n, k * n); // (k, n) or (n, k)
        float sum = 0f;
        // Threads outside C still load their share of the tiles and meet every barrier.
        for (int start = 0; start < k; start += Tile)
        {
            int ap = start + tx, bp = start + ty;
            aTile[ty * Tile + tx] = i < m && ap < k ? (transA != 0 ? A[ap * m + i] : A[i * k + ap]) : 0f;
            bTile[ty * Tile + tx] = bp < k && j < n ? (transB != 0 ? B[j * k + bp] : B[bp * n + j]) : 0f;
            Group.Barrier();
            int width = KernelMath.Min(Tile, k - start);
            for (int p = 0; p < width; p++) sum += aTile[ty * Tile + p] * bTile[p * Tile + tx];
            Group.Barrier();
        }
        if (i < m && j < n) Store(c, bias, z * m * n + i * n + j, j, sum, alpha, beta);
    }

    /// <summary>c[index] = alpha·sum (+ beta·c[index] when beta ≠ 0) (+ bias[column] when there is a bias).</summary>
    private static void Store(ArrayView<float> c, ArrayView<float> bias, int index, int column, float sum, float alpha, float beta)
    {
        float result = alpha * sum;
        if (beta != 0f) result += beta * c[index];
        if (bias.Length > 0) result += bias[column];
        c[index] = result;
    }
}

using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Gpu;

/// <summary>
/// C = alpha·op(A)·op(B) + beta·C (+ bias per column) for GPU devices, batched over the grid's Z dimension
/// (product z reads A, B and C at z·m·k, z·k·n and z·m·n). Both kernels add k in order, so they agree with
/// each other up to the compiler's fused multiply-adds. <see cref="Naive"/>: one thread per element of C, the
/// obvious loop — the reference (<see cref="GemmKernels.MatMul"/> runs it on the CPU). <see cref="Blocked"/>:
/// what devices launch — tiles of op(A) and op(B) staged in shared memory and 4×4 outputs per thread in registers.
/// </summary>
internal static partial class GemmGpuKernels
{
    /// <summary>The group edge of <see cref="Blocked"/> (threads per group: Tile²).</summary>
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

    /// <summary>Outputs per group edge of <see cref="Blocked"/>: each of its 16×16 threads computes 4×4 of them.</summary>
    internal const int Block = 64;

    /// <summary>The k-slice of a <see cref="Blocked"/> tile.</summary>
    private const int Depth = 16;

    /// <summary>The same product, register-blocked: a group of 16×16 threads computes a 64×64 block of C, each thread
    /// 4×4 outputs (rows ty + 16r, columns tx + 16c) held in registers, from 64×16 and 16×64 tiles of op(A) and op(B)
    /// in shared memory; sixteen multiply-adds per eight shared reads instead of one per two.
    /// Launch: groups (⌈n/Block⌉, ⌈m/Block⌉, batch), group size (16, 16).</summary>
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
    internal static void Blocked(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        int m, int n, int k, int transA, int transB, float alpha, float beta)
    {
        var aTile = SharedMemory.Allocate<float>(Block * Depth); // (Block rows of op(A), Depth of k)
        var bTile = SharedMemory.Allocate<float>(Depth * Block); // (Depth of k, Block columns of op(B))
        int tx = Group.IdxX, ty = Group.IdxY, z = Grid.IdxZ;
        int i0 = Grid.IdxY * Block, j0 = Grid.IdxX * Block;
        var A = a.SubView(z * m * k, m * k); // (m, k) or (k, m)
        var B = b.SubView(z * k * n, k * n); // (k, n) or (n, k)
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f, c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int start = 0; start < k; start += Depth)
        {
            // Each thread stages four elements of each tile (zeros outside the matrices) and meets every barrier.
            for (int q = 0; q < 4; q++)
            {
                int row = i0 + ty + 16 * q, ap = start + tx;
                aTile[(ty + 16 * q) * Depth + tx] = row < m && ap < k ? (transA != 0 ? A[ap * m + row] : A[row * k + ap]) : 0f;
                int column = j0 + tx + 16 * q, bp = start + ty;
                bTile[ty * Block + tx + 16 * q] = bp < k && column < n ? (transB != 0 ? B[column * k + bp] : B[bp * n + column]) : 0f;
            }
            Group.Barrier();
            int width = KernelMath.Min(Depth, k - start);
            for (int p = 0; p < width; p++)
            {
                float a0 = aTile[(ty + 0) * Depth + p];
                float a1 = aTile[(ty + 16) * Depth + p];
                float a2 = aTile[(ty + 32) * Depth + p];
                float a3 = aTile[(ty + 48) * Depth + p];
                float b0 = bTile[p * Block + tx + 0];
                float b1 = bTile[p * Block + tx + 16];
                float b2 = bTile[p * Block + tx + 32];
                float b3 = bTile[p * Block + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        StoreIn(c, bias, z * m * n, i0 + ty + 0, j0 + tx + 0, m, n, c00, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 0, j0 + tx + 16, m, n, c01, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 0, j0 + tx + 32, m, n, c02, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 0, j0 + tx + 48, m, n, c03, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 16, j0 + tx + 0, m, n, c10, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 16, j0 + tx + 16, m, n, c11, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 16, j0 + tx + 32, m, n, c12, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 16, j0 + tx + 48, m, n, c13, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 32, j0 + tx + 0, m, n, c20, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 32, j0 + tx + 16, m, n, c21, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 32, j0 + tx + 32, m, n, c22, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 32, j0 + tx + 48, m, n, c23, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 48, j0 + tx + 0, m, n, c30, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 48, j0 + tx + 16, m, n, c31, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 48, j0 + tx + 32, m, n, c32, alpha, beta);
        StoreIn(c, bias, z * m * n, i0 + ty + 48, j0 + tx + 48, m, n, c33, alpha, beta);
    }

    /// <summary><see cref="Store"/> when (i, j) lies inside C.</summary>
    private static void StoreIn(ArrayView<float> c, ArrayView<float> bias, int offset, int i, int j, int m, int n, float sum,
        float alpha, float beta)
    {
        if (i < m && j < n) Store(c, bias, offset + i * n + j, j, sum, alpha, beta);
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

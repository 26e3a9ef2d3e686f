namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// Copies operands into the layout the micro-kernel reads, resolving the transposes on the way:
/// an A panel holds, for each k, the values of its rows side by side; a B panel holds, for each k,
/// the values of its columns side by side. Panels span the whole K, so any K block is a slice.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs rows [i, i + rows) of op(A) (all k) into dst[kk * mr + r].</summary>
    /// <param name="a">A, stored [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="m">Rows of op(A).</param>
    /// <param name="k">Columns of op(A).</param>
    /// <param name="transA">A is stored [k, m].</param>
    /// <param name="i">First row.</param>
    /// <param name="rows">Rows to pack, at most <paramref name="mr"/>; the rest of the panel is left as is.</param>
    /// <param name="mr">Panel height.</param>
    /// <param name="dst">The panel, k * mr floats.</param>
    public static void PackA(float* a, int m, int k, bool transA, int i, int rows, int mr, float* dst)
    {
        if (transA)
        {
            float* src = a + i;
            for (int kk = 0; kk < k; kk++, src += m, dst += mr)
            {
                for (int r = 0; r < rows; r++) dst[r] = src[r];
            }
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            float* src = a + (long)(i + r) * k;
            float* d = dst + r;
            for (int kk = 0; kk < k; kk++, d += mr) *d = src[kk];
        }
    }

    /// <summary>Packs columns [j, j + cols) of op(B) (all k) into dst[kk * nr + c], zero for c &gt;= cols.</summary>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="transB">B is stored [n, k].</param>
    /// <param name="j">First column.</param>
    /// <param name="cols">Columns to pack, at most <paramref name="nr"/>.</param>
    /// <param name="nr">Panel width.</param>
    /// <param name="dst">The panel, k * nr floats.</param>
    public static void PackB(float* b, int n, int k, bool transB, int j, int cols, int nr, float* dst)
    {
        if (cols < nr)
        {
            // Overhanging columns are zero so the micro-kernel's spare lanes stay finite.
            new Span<float>(dst, k * nr).Clear();
        }

        if (!transB)
        {
            float* src = b + j;
            nuint bytes = (nuint)(cols * sizeof(float));
            for (int kk = 0; kk < k; kk++, src += n, dst += nr)
            {
                Buffer.MemoryCopy(src, dst, bytes, bytes);
            }
            return;
        }

        for (int c = 0; c < cols; c++)
        {
            float* src = b + (long)(j + c) * k;
            float* d = dst + c;
            for (int kk = 0; kk < k; kk++, d += nr) *d = src[kk];
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// Copies operands into the layout the micro-kernel reads, resolving the transposes on the way:
/// an A panel holds, for each k, the values of its rows side by side; a B panel holds, for each k,
/// the values of its columns side by side.
/// </summary>
/// <remarks>
/// When the stored operand runs along k (A not transposed, B transposed) packing is a transpose,
/// done in 8 x 8 blocks of AVX registers; otherwise it is a row copy.
/// </remarks>
internal static unsafe class GemmPacking
{
    // How many lines ahead CopyRows prefetches: far enough to cover a main-memory latency at the copy's pace.
    private const int PrefetchLines = 8;

    /// <summary>Packs rows [i, i + rows) and columns [k0, k0 + kc) of op(A) into consecutive panels of
    /// <paramref name="mr"/> rows: row i + p * mr + r goes to dst[p * kc * mr + kk * mr + r].</summary>
    /// <param name="a">A, stored [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="m">Rows of op(A).</param>
    /// <param name="k">Columns of op(A).</param>
    /// <param name="transA">A is stored [k, m].</param>
    /// <param name="i">First row.</param>
    /// <param name="rows">Rows to pack; the rest of the last panel is left as is.</param>
    /// <param name="k0">First column (k).</param>
    /// <param name="kc">Columns to pack.</param>
    /// <param name="mr">Panel height.</param>
    /// <param name="dst">The panels, ceil(rows / mr) * kc * mr floats.</param>
    public static void PackA(float* a, int m, int k, bool transA, int i, int rows, int k0, int kc, int mr, float* dst)
    {
        if (transA)
        {
            CopyRows(a + (long)k0 * m + i, m, rows, kc, mr, dst);
            return;
        }
        for (int p = 0; p < rows; p += mr, dst += (long)kc * mr)
        {
            Transpose(a + (long)(i + p) * k + k0, k, Math.Min(mr, rows - p), kc, mr, dst);
        }
    }

    /// <summary>Packs columns [j, j + cols) and rows [k0, k0 + kc) of op(B) into dst[kk * nr + c], zero for c &gt;= cols.</summary>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="transB">B is stored [n, k].</param>
    /// <param name="j">First column.</param>
    /// <param name="cols">Columns to pack, at most <paramref name="nr"/>.</param>
    /// <param name="k0">First row (k).</param>
    /// <param name="kc">Rows to pack.</param>
    /// <param name="nr">Panel width.</param>
    /// <param name="dst">The panel, kc * nr floats.</param>
    public static void PackB(float* b, int n, int k, bool transB, int j, int cols, int k0, int kc, int nr, float* dst)
    {
        if (cols < nr)
        {
            // Overhanging columns are zero so the micro-kernel's spare lanes stay finite.
            new Span<float>(dst, kc * nr).Clear();
        }
        if (transB)
        {
            Transpose(b + (long)j * k + k0, k, cols, kc, nr, dst);
            return;
        }
        CopyRows(b + (long)k0 * n + j, n, cols, kc, nr, dst);
    }

    // dst[p * kc * width + kk * width + c] = src[kk * stride + p * width + c] for p * width + c < count: the operand
    // already runs across the panels, so each source line's run at one k (all the panels' values, whole cache lines
    // when there are several panels) is read in one pass and dealt out to them. Packing a transposed A one panel at a
    // time read 12 floats a line, a new page for every k when the stride is large, and cost a tenth of the product on
    // tall Aᵀ shapes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRows(float* src, int stride, int count, int kc, int width, float* dst)
    {
        long panelFloats = (long)kc * width;
        for (int kk = 0; kk < kc; kk++, src += stride)
        {
            if (Sse.IsSupported)
            {
                // Each line is a short run far from the last: the hardware prefetchers would start afresh on every
                // line, so fetch a few lines ahead. Prefetches past the operand's end are harmless (they never fault).
                float* ahead = src + PrefetchLines * (long)stride;
                for (int c0 = 0; c0 < count; c0 += 16) Sse.Prefetch0(ahead + c0);
                Sse.Prefetch0(ahead + count - 1);
            }
            float* line = src;
            float* panel = dst + (long)kk * width;
            for (int c = 0; c < count; c += width, line += width, panel += panelFloats)
            {
                CopyLine(line, Math.Min(width, count - c), panel);
            }
        }
    }

    // dst[c] = src[c] for c < count, a few floats: plain vector moves beat a memmove call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLine(float* src, int count, float* dst)
    {
        int c = 0;
        for (; c + 8 <= count; c += 8) Vector256.Store(Vector256.Load(src + c), dst + c);
        if (c + 4 <= count)
        {
            Vector128.Store(Vector128.Load(src + c), dst + c);
            c += 4;
        }
        for (; c < count; c++) dst[c] = src[c];
    }

    // dst[kk * width + c] = src[c * stride + kk] for c < count: the operand runs along k, so each
    // group of 8 lines is transposed 8 values at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, int stride, int count, int kc, int width, float* dst)
    {
        int kk = 0;
        if (Avx.IsSupported && kc >= 8)
        {
            int blocks = kc / 8 * 8;
            for (int c = 0; c < count; c += 8)
            {
                int lines = Math.Min(8, count - c);
                float* first = src + (long)c * stride;
                for (int b = 0; b < blocks; b += 8)
                {
                    Transpose8x8(first + b, stride, lines, dst + (long)b * width + c, width);
                }
            }
            kk = blocks;
        }
        for (int c = 0; c < count; c++)
        {
            float* line = src + (long)c * stride;
            for (int t = kk; t < kc; t++) dst[(long)t * width + c] = line[t];
        }
    }

    // Reads 8 values from each of `lines` (1 to 8) lines `stride` apart and writes them transposed:
    // out[t * width + l] = in[l * stride + t]. Missing lines repeat the last one and are not stored.
    private static void Transpose8x8(float* src, int stride, int lines, float* dst, int width)
    {
        float* p1 = src + (lines > 1 ? stride : 0);
        float* p2 = p1 + (lines > 2 ? stride : 0);
        float* p3 = p2 + (lines > 3 ? stride : 0);
        float* p4 = p3 + (lines > 4 ? stride : 0);
        float* p5 = p4 + (lines > 5 ? stride : 0);
        float* p6 = p5 + (lines > 6 ? stride : 0);
        float* p7 = p6 + (lines > 7 ? stride : 0);

        var t0 = Avx.UnpackLow(Avx.LoadVector256(src), Avx.LoadVector256(p1));
        var t1 = Avx.UnpackHigh(Avx.LoadVector256(src), Avx.LoadVector256(p1));
        var t2 = Avx.UnpackLow(Avx.LoadVector256(p2), Avx.LoadVector256(p3));
        var t3 = Avx.UnpackHigh(Avx.LoadVector256(p2), Avx.LoadVector256(p3));
        var t4 = Avx.UnpackLow(Avx.LoadVector256(p4), Avx.LoadVector256(p5));
        var t5 = Avx.UnpackHigh(Avx.LoadVector256(p4), Avx.LoadVector256(p5));
        var t6 = Avx.UnpackLow(Avx.LoadVector256(p6), Avx.LoadVector256(p7));
        var t7 = Avx.UnpackHigh(Avx.LoadVector256(p6), Avx.LoadVector256(p7));

        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);

        Store(Avx.Permute2x128(s0, s4, 0x20), dst, lines);
        Store(Avx.Permute2x128(s1, s5, 0x20), dst + width, lines);
        Store(Avx.Permute2x128(s2, s6, 0x20), dst + 2 * width, lines);
        Store(Avx.Permute2x128(s3, s7, 0x20), dst + 3 * width, lines);
        Store(Avx.Permute2x128(s0, s4, 0x31), dst + 4 * width, lines);
        Store(Avx.Permute2x128(s1, s5, 0x31), dst + 5 * width, lines);
        Store(Avx.Permute2x128(s2, s6, 0x31), dst + 6 * width, lines);
        Store(Avx.Permute2x128(s3, s7, 0x31), dst + 7 * width, lines);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v, float* dst, int lanes)
    {
        if (lanes == 8)
        {
            v.Store(dst);
            return;
        }
        int lane = 0;
        if (lanes >= 4)
        {
            v.GetLower().Store(dst);
            lane = 4;
        }
        for (; lane < lanes; lane++) dst[lane] = v.GetElement(lane);
    }
}

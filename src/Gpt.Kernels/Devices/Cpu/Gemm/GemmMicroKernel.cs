using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// The register-blocked inner loop of the packed GEMM: one micro-tile of C, at most
/// <c>Rows</c> x (2 * vector width), accumulated over a K block from packed panels.
/// </summary>
/// <remarks>
/// Packed A panel: for each k, <c>Rows</c> consecutive values (one per row of the tile).
/// Packed B panel: for each k, <see cref="Cols"/> consecutive values (one per column).
/// Each accumulator is a chain of fused multiply-adds in k order, so an element's value does not
/// depend on which tile, thread or row-count variant computed it.
/// Epilogue per element: r = alpha * acc; if beta != 0, r = beta * C + r (fused); if bias, r += bias[j].
/// </remarks>
internal static unsafe class GemmMicroKernel
{
    // Avx512F, not Vector512.IsHardwareAccelerated: the runtime reports 512-bit vectors as not
    // accelerated on Intel cores that lower their clock for them (Skylake-X, Cascade Lake), yet a
    // GEMM there is FMA-bound and runs ~1.6x faster at 512 bits despite the lower clock.
    private static readonly bool Use512 = Avx512F.IsSupported;
    private static readonly bool Use256 = !Use512 && Vector256.IsHardwareAccelerated;

    // How far ahead of the current k the A panel is fetched, in floats (32 k steps of a 12-row panel, past its end into
    // the next panel). A panel is read from L3 on its first pass and the hardware prefetchers, which stop at every 4 KiB
    // page, did not keep up: on the weight-gradient shapes the kernel ran ~15% slower inside the GEMM than on a panel
    // already in L2 (a harness streaming panels from a 12 MiB buffer: 87 against 128 GFLOP/s on one core, 129 with this).
    private const int PrefetchA = 384;

    /// <summary>Rows of a micro-tile (MR) on this machine.</summary>
    public static readonly int Rows = Use512 ? GemmSimd512.Rows : Use256 ? GemmSimd256.Rows : GemmSimd128.Rows;

    /// <summary>Columns of a micro-tile (NR) on this machine.</summary>
    public static readonly int Cols = 2 * (Use512 ? GemmSimd512.Width : Use256 ? GemmSimd256.Width : GemmSimd128.Width);

    /// <summary>C[0..rows, 0..Cols] (row stride ldc) = epilogue(sum over kc of packed A x packed B).</summary>
    /// <param name="rows">Rows of the tile to compute, 1 to <see cref="Rows"/>.</param>
    /// <param name="pa">Packed A panel at the first k of the block.</param>
    /// <param name="pb">Packed B panel at the first k of the block.</param>
    /// <param name="kc">Length of the K block.</param>
    /// <param name="c">Top-left element of the C tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0: C is not read.</param>
    /// <param name="bias">Bias at the tile's first column, or null.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, float* pa, float* pb, int kc, float* c, int ldc, float alpha, float beta, float* bias)
    {
        if (Use512) Dispatch<GemmSimd512, Vector512<float>>(rows, pa, pb, kc, c, ldc, alpha, beta, bias);
        else if (Use256) Dispatch<GemmSimd256, Vector256<float>>(rows, pa, pb, kc, c, ldc, alpha, beta, bias);
        else Dispatch<GemmSimd128, Vector128<float>>(rows, pa, pb, kc, c, ldc, alpha, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dispatch<TOps, TV>(int rows, float* pa, float* pb, int kc, float* c, int ldc, float alpha, float beta, float* bias)
        where TOps : struct, IGemmSimd<TV> where TV : struct
    {
        switch (rows)
        {
            case 12: Run<TOps, TV, Rows12>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 11: Run<TOps, TV, Rows11>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 10: Run<TOps, TV, Rows10>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 9: Run<TOps, TV, Rows9>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 8: Run<TOps, TV, Rows8>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 7: Run<TOps, TV, Rows7>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 6: Run<TOps, TV, Rows6>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 5: Run<TOps, TV, Rows5>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 4: Run<TOps, TV, Rows4>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 3: Run<TOps, TV, Rows3>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 2: Run<TOps, TV, Rows2>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
            case 1: Run<TOps, TV, Rows1>(pa, pb, kc, c, ldc, alpha, beta, bias); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TOps, TV, TRows>(float* pa, float* pb, int kc, float* c, int ldc, float alpha, float beta, float* bias)
        where TOps : struct, IGemmSimd<TV> where TV : struct where TRows : struct, IGemmRows
    {
        // C is touched only after the loop: start fetching its lines now. A row's 2 * Width floats span three lines
        // when C is not 64-byte aligned (a managed array), so its first, middle and last floats are fetched.
        if (Sse.IsSupported)
        {
            for (int r = 0; r < TRows.Count; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + TOps.Width);
                Sse.Prefetch0(c + r * ldc + 2 * TOps.Width - 1);
            }
        }
        TV c00 = TOps.Zero, c01 = TOps.Zero;
        TV c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero;
        TV c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero;
        TV c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero;
        TV c70 = TOps.Zero, c71 = TOps.Zero;
        TV c80 = TOps.Zero, c81 = TOps.Zero;
        TV c90 = TOps.Zero, c91 = TOps.Zero;
        TV c100 = TOps.Zero, c101 = TOps.Zero;
        TV c110 = TOps.Zero, c111 = TOps.Zero;
        for (int p = 0; p < kc; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch0(pa + PrefetchA);
            TV b0 = TOps.Load(pb), b1 = TOps.Load(pb + TOps.Width);
            if (TRows.Count > 0) { TV x = TOps.Splat(pa[0]); c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01); }
            if (TRows.Count > 1) { TV x = TOps.Splat(pa[1]); c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11); }
            if (TRows.Count > 2) { TV x = TOps.Splat(pa[2]); c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21); }
            if (TRows.Count > 3) { TV x = TOps.Splat(pa[3]); c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31); }
            if (TRows.Count > 4) { TV x = TOps.Splat(pa[4]); c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41); }
            if (TRows.Count > 5) { TV x = TOps.Splat(pa[5]); c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51); }
            if (TRows.Count > 6) { TV x = TOps.Splat(pa[6]); c60 = TOps.MultiplyAdd(x, b0, c60); c61 = TOps.MultiplyAdd(x, b1, c61); }
            if (TRows.Count > 7) { TV x = TOps.Splat(pa[7]); c70 = TOps.MultiplyAdd(x, b0, c70); c71 = TOps.MultiplyAdd(x, b1, c71); }
            if (TRows.Count > 8) { TV x = TOps.Splat(pa[8]); c80 = TOps.MultiplyAdd(x, b0, c80); c81 = TOps.MultiplyAdd(x, b1, c81); }
            if (TRows.Count > 9) { TV x = TOps.Splat(pa[9]); c90 = TOps.MultiplyAdd(x, b0, c90); c91 = TOps.MultiplyAdd(x, b1, c91); }
            if (TRows.Count > 10) { TV x = TOps.Splat(pa[10]); c100 = TOps.MultiplyAdd(x, b0, c100); c101 = TOps.MultiplyAdd(x, b1, c101); }
            if (TRows.Count > 11) { TV x = TOps.Splat(pa[11]); c110 = TOps.MultiplyAdd(x, b0, c110); c111 = TOps.MultiplyAdd(x, b1, c111); }
            pa += TOps.Rows;
            pb += 2 * TOps.Width;
        }

        TV va = TOps.Splat(alpha), vb = TOps.Splat(beta);
        if (TRows.Count > 0) StoreRow<TOps, TV>(c + 0 * ldc, c00, c01, va, vb, beta, bias);
        if (TRows.Count > 1) StoreRow<TOps, TV>(c + 1 * ldc, c10, c11, va, vb, beta, bias);
        if (TRows.Count > 2) StoreRow<TOps, TV>(c + 2 * ldc, c20, c21, va, vb, beta, bias);
        if (TRows.Count > 3) StoreRow<TOps, TV>(c + 3 * ldc, c30, c31, va, vb, beta, bias);
        if (TRows.Count > 4) StoreRow<TOps, TV>(c + 4 * ldc, c40, c41, va, vb, beta, bias);
        if (TRows.Count > 5) StoreRow<TOps, TV>(c + 5 * ldc, c50, c51, va, vb, beta, bias);
        if (TRows.Count > 6) StoreRow<TOps, TV>(c + 6 * ldc, c60, c61, va, vb, beta, bias);
        if (TRows.Count > 7) StoreRow<TOps, TV>(c + 7 * ldc, c70, c71, va, vb, beta, bias);
        if (TRows.Count > 8) StoreRow<TOps, TV>(c + 8 * ldc, c80, c81, va, vb, beta, bias);
        if (TRows.Count > 9) StoreRow<TOps, TV>(c + 9 * ldc, c90, c91, va, vb, beta, bias);
        if (TRows.Count > 10) StoreRow<TOps, TV>(c + 10 * ldc, c100, c101, va, vb, beta, bias);
        if (TRows.Count > 11) StoreRow<TOps, TV>(c + 11 * ldc, c110, c111, va, vb, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TOps, TV>(float* c, TV acc0, TV acc1, TV va, TV vb, float beta, float* bias)
        where TOps : struct, IGemmSimd<TV> where TV : struct
    {
        float* c1 = c + TOps.Width;
        TV r0 = TOps.Multiply(va, acc0), r1 = TOps.Multiply(va, acc1);
        if (beta != 0f)
        {
            r0 = TOps.MultiplyAdd(vb, TOps.Load(c), r0);
            r1 = TOps.MultiplyAdd(vb, TOps.Load(c1), r1);
        }
        if (bias != null)
        {
            r0 = TOps.Add(r0, TOps.Load(bias));
            r1 = TOps.Add(r1, TOps.Load(bias + TOps.Width));
        }
        TOps.Store(c, r0);
        TOps.Store(c1, r1);
    }

    /// <summary>The same epilogue for one element, for tiles whose columns overhang C: bit-identical
    /// to the vector epilogue.</summary>
    /// <param name="acc">The accumulated sum.</param>
    /// <param name="c">The C element.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0: C is not read.</param>
    /// <param name="bias">Bias element, or null.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScalar(float acc, float* c, float alpha, float beta, float* bias)
    {
        float r = alpha * acc;
        if (beta != 0f) r = MathF.FusedMultiplyAdd(beta, *c, r);
        if (bias != null) r += *bias;
        *c = r;
    }
}

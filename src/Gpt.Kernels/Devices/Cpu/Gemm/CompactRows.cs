using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpt.Kernels.Quantization;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// A matrix (rows, cols) whose rows are held compact for inference, and the expansion of a run of one row back to
/// fp32: bf16 (the upper half of each fp32, so exact) or int8 in <see cref="Q8Blocks"/>' layout (32 values a block,
/// one scale each: the block's fp16 scale, held widened to fp32; x = d·q: the same product, rounded once, as
/// <see cref="Q8Blocks.Dequantize"/>, so the values are bit-identical to it). Every compact GEMM path and the embedding
/// lookup expand through here.
/// </summary>
internal readonly unsafe struct CompactRows
{
    private readonly ushort* _bf16;
    private readonly sbyte* _q8;
    private readonly float* _scales;

    private CompactRows(ushort* bf16, sbyte* q8, float* scales, int cols)
    {
        _bf16 = bf16;
        _q8 = q8;
        _scales = scales;
        Cols = cols;
    }

    /// <summary>Row length.</summary>
    public int Cols { get; }

    /// <summary>Rows of bf16 bits, row-major.</summary>
    public static CompactRows BFloat16(ushort* values, int cols) => new(values, null, null, cols);

    /// <summary>Rows of <see cref="Q8Blocks"/> values with one fp32 scale per block; <paramref name="cols"/> is a multiple of 32.</summary>
    public static CompactRows Q8(sbyte* values, float* scales, int cols) => new(null, values, scales, cols);

    /// <summary>dst[i] = row[col + i] for i &lt; count, in fp32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Expand(long row, int col, int count, float* dst)
    {
        long first = row * Cols + col;
        if (_bf16 != null) ExpandBf16(_bf16 + first, count, dst);
        else ExpandQ8(_q8 + first, _scales, first, count, dst);
    }

    private static void ExpandBf16(ushort* src, int count, float* dst)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= count; i += 16)
                Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(src + i)), 16).AsSingle().Store(dst + i);
        }
        else if (Avx2.IsSupported)
        {
            for (; i + 8 <= count; i += 8)
                Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(src + i)), 16).AsSingle().Store(dst + i);
        }
        for (; i < count; i++) ((uint*)dst)[i] = (uint)src[i] << 16;
    }

    // q points at element `first` of the matrix; its block's scale is scales[first / 32].
    private static void ExpandQ8(sbyte* q, float* scales, long first, int count, float* dst)
    {
        int i = 0;
        const int Block = Q8Blocks.BlockSize;
        // Up to the first block boundary one value at a time, then whole blocks vectorised.
        for (; i < count && (first + i) % Block != 0; i++) dst[i] = scales[(first + i) / Block] * q[i];
        if (Avx512F.IsSupported)
        {
            for (; i + Block <= count; i += Block)
            {
                var d = Vector512.Create(scales[(first + i) / Block]);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i))) * d).Store(dst + i);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i + 16))) * d).Store(dst + i + 16);
            }
        }
        else if (Avx2.IsSupported)
        {
            for (; i + Block <= count; i += Block)
            {
                var d = Vector256.Create(scales[(first + i) / Block]);
                for (int h = 0; h < Block; h += 8)
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + i + h)) * d).Store(dst + i + h);
            }
        }
        for (; i < count; i++) dst[i] = scales[(first + i) / Block] * q[i];
    }

    /// <summary>x · row[0 .. Cols) for one row, reading the compact values directly (no expanded copy): the decode
    /// path of a single sequence, where the weights are streamed once and the conversion hides under the memory
    /// traffic. Sums in a different order than an fp32 dot of the expanded row, so equal to it to rounding only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Dot(float* x, long row)
    {
        if (!Avx512F.IsSupported) return DotExpanded(x, row);
        long first = row * Cols;
        return _bf16 != null ? DotBf16(x, _bf16 + first, Cols) : DotQ8(x, _q8 + first, _scales + first / Q8Blocks.BlockSize, Cols);
    }

    /// <summary>sums[i] = x · row[first + i] for the <paramref name="count"/> consecutive rows from <paramref name="first"/>:
    /// decoding one sequence. Each row is summed in exactly <see cref="Dot"/>'s order (a row's result does not depend on the
    /// rows beside it), but four rows at a time, with the rows two groups ahead prefetched: one row at a time, the hardware
    /// prefetchers alone kept a core at about half the bandwidth it reaches this way (q8: 2.6 against 7.6 G weights/s a
    /// core, measured on 123 M weights), and the four horizontal sums overlap instead of ending each row's chain. Rows past
    /// the matrix are never read, only prefetched (a prefetch does not fault).</summary>
    public void DotMany(float* x, long first, int count, float* sums)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 4 <= count; i += 4)
            {
                long at = (first + i) * Cols;
                if (_bf16 != null) DotFourBf16(x, _bf16 + at, Cols, sums + i);
                else DotFourQ8(x, _q8 + at, _scales + at / Q8Blocks.BlockSize, Cols, sums + i);
            }
        }
        for (; i < count; i++) sums[i] = Dot(x, first + i);
    }

    // Portable path: expand a run at a time into L1, then an fp32 dot.
    private float DotExpanded(float* x, long row)
    {
        const int Run = 512;
        float* buffer = stackalloc float[Run];
        float sum = 0;
        for (int col = 0; col < Cols; col += Run)
        {
            int count = Math.Min(Run, Cols - col);
            Expand(row, col, count, buffer);
            sum += CpuVector.Dot(x + col, buffer, count);
        }
        return sum;
    }

    private static float DotBf16(float* x, ushort* w, int k)
    {
        var c0 = Vector512<float>.Zero;
        var c1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + i), Bf16x16(w + i), c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + i + 16), Bf16x16(w + i + 16), c1);
        }
        for (; i + 16 <= k; i += 16) c0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + i), Bf16x16(w + i), c0);
        float sum = Vector512.Sum(c0 + c1);
        for (; i < k; i++) sum = MathF.FusedMultiplyAdd(x[i], BitConverter.UInt32BitsToSingle((uint)w[i] << 16), sum);
        return sum;
    }

    // DotBf16 for four rows w, w + k, w + 2k, w + 3k, each in DotBf16's order.
    private static void DotFourBf16(float* x, ushort* w, int k, float* sums)
    {
        ushort* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        if (k % 32 != 0)
        {
            // A width that is not a multiple of 32: each row exactly as DotBf16 sums it.
            sums[0] = DotBf16(x, w, k);
            sums[1] = DotBf16(x, w1, k);
            sums[2] = DotBf16(x, w2, k);
            sums[3] = DotBf16(x, w3, k);
            return;
        }
        byte* ahead = (byte*)(w + 8L * k);     // two groups ahead; the group's 8k bytes, 128 per 32 values
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, e0 = default, e1 = default;
        for (int i = 0; i < k; i += 32)
        {
            byte* p = ahead + 8L * i;
            Sse.Prefetch0(p);
            Sse.Prefetch0(p + 64);
            Sse.Prefetch0(p + 128);
            Sse.Prefetch0(p + 192);
            var x0 = Vector512.Load(x + i);
            var x1 = Vector512.Load(x + i + 16);
            a0 = Avx512F.FusedMultiplyAdd(x0, Bf16x16(w + i), a0);
            a1 = Avx512F.FusedMultiplyAdd(x1, Bf16x16(w + i + 16), a1);
            b0 = Avx512F.FusedMultiplyAdd(x0, Bf16x16(w1 + i), b0);
            b1 = Avx512F.FusedMultiplyAdd(x1, Bf16x16(w1 + i + 16), b1);
            c0 = Avx512F.FusedMultiplyAdd(x0, Bf16x16(w2 + i), c0);
            c1 = Avx512F.FusedMultiplyAdd(x1, Bf16x16(w2 + i + 16), c1);
            e0 = Avx512F.FusedMultiplyAdd(x0, Bf16x16(w3 + i), e0);
            e1 = Avx512F.FusedMultiplyAdd(x1, Bf16x16(w3 + i + 16), e1);
        }
        sums[0] = Vector512.Sum(a0 + a1);
        sums[1] = Vector512.Sum(b0 + b1);
        sums[2] = Vector512.Sum(c0 + c1);
        sums[3] = Vector512.Sum(e0 + e1);
    }

    // DotQ8 for four rows q, q + k, q + 2k, q + 3k, each in DotQ8's order: blocks alternate between two totals. d holds
    // the four rows' scales, row after row.
    private static void DotFourQ8(float* x, sbyte* q, float* d, int k, float* sums)
    {
        int blocks = k / Q8Blocks.BlockSize;
        sbyte* ahead = q + 8L * k;             // two groups ahead; the group's 4k bytes, 128 per block
        byte* scalesAhead = (byte*)(d + 8 * blocks);
        sbyte* q1 = q + k, q2 = q1 + k, q3 = q2 + k;
        float* d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, e0 = default, e1 = default;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            sbyte* p = ahead + 128L * b;
            Sse.Prefetch0(p);
            Sse.Prefetch0(p + 64);
            Sse.Prefetch0(p + 128);
            Sse.Prefetch0(p + 192);
            if ((b & 3) == 0) Sse.Prefetch0(scalesAhead + 16L * b);     // the group's 16 bytes of scales a block
            float* xb = x + b * 32;
            var x0 = Vector512.Load(xb);
            var x1 = Vector512.Load(xb + 16);
            var x2 = Vector512.Load(xb + 32);
            var x3 = Vector512.Load(xb + 48);
            int o = b * 32;
            a0 = Block(x0, x1, q + o, d[b], a0);
            a1 = Block(x2, x3, q + o + 32, d[b + 1], a1);
            b0 = Block(x0, x1, q1 + o, d1[b], b0);
            b1 = Block(x2, x3, q1 + o + 32, d1[b + 1], b1);
            c0 = Block(x0, x1, q2 + o, d2[b], c0);
            c1 = Block(x2, x3, q2 + o + 32, d2[b + 1], c1);
            e0 = Block(x0, x1, q3 + o, d3[b], e0);
            e1 = Block(x2, x3, q3 + o + 32, d3[b + 1], e1);
        }
        if (b < blocks)
        {
            float* xb = x + b * 32;
            var x0 = Vector512.Load(xb);
            var x1 = Vector512.Load(xb + 16);
            int o = b * 32;
            a0 = Block(x0, x1, q + o, d[b], a0);
            b0 = Block(x0, x1, q1 + o, d1[b], b0);
            c0 = Block(x0, x1, q2 + o, d2[b], c0);
            e0 = Block(x0, x1, q3 + o, d3[b], e0);
        }
        sums[0] = Vector512.Sum(a0 + a1);
        sums[1] = Vector512.Sum(b0 + b1);
        sums[2] = Vector512.Sum(c0 + c1);
        sums[3] = Vector512.Sum(e0 + e1);
    }

    // Per block: s = Σ x·q over 32 values, then total += d·s. Two totals alternate so the scale's multiply-add
    // chain does not wait on the previous block.
    private static float DotQ8(float* x, sbyte* q, float* d, int k)
    {
        var t0 = Vector512<float>.Zero;
        var t1 = Vector512<float>.Zero;
        int blocks = k / Q8Blocks.BlockSize;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            float* xb = x + b * 32;
            sbyte* qb = q + b * 32;
            t0 = Block(Vector512.Load(xb), Vector512.Load(xb + 16), qb, d[b], t0);
            t1 = Block(Vector512.Load(xb + 32), Vector512.Load(xb + 48), qb + 32, d[b + 1], t1);
        }
        if (b < blocks)
        {
            float* xb = x + b * 32;
            sbyte* qb = q + b * 32;
            t0 = Block(Vector512.Load(xb), Vector512.Load(xb + 16), qb, d[b], t0);
        }
        return Vector512.Sum(t0 + t1);
    }

    /// <summary>sums[r] = a[r] · row for the m (1 to 8) rows of A (row stride <see cref="Cols"/>): batched decoding. Each
    /// 16 weights are expanded once, in a register, and used by every row of A; the expansion is the very value
    /// <see cref="Expand"/> gives, so the sums differ from fp32 dots only in their order.</summary>
    public void DotRows(float* a, int m, long row, float* sums)
    {
        if (!Avx512F.IsSupported)
        {
            for (int r = 0; r < m; r++) sums[r] = DotExpanded(a + (long)r * Cols, row);
            return;
        }
        long first = row * Cols;
        // Four rows of A at a time: eight accumulators and their pointers no longer fit the registers, and a row of
        // weights expanded a second time comes from L1.
        for (int r = 0; r < m; r += 4)
        {
            if (_bf16 != null) Rows4<Bf16Load>(a + (long)r * Cols, Math.Min(4, m - r), first, Cols, sums + r);
            else Rows4<Q8Load>(a + (long)r * Cols, Math.Min(4, m - r), first, Cols, sums + r);
        }
    }

    // Four rows of A (rows past m repeat the last; their sums are dropped).
    private void Rows4<L>(float* a, int m, long first, int count, float* sums) where L : struct, IRowLoad
    {
        int stride = Cols;
        float* a0 = a, a1 = a + Math.Min(1, m - 1) * stride, a2 = a + Math.Min(2, m - 1) * stride, a3 = a + Math.Min(3, m - 1) * stride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int kk = 0;
        for (; kk + 16 <= count; kk += 16)
        {
            var w = L.Load(this, first, kk);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a0 + kk), w, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a1 + kk), w, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Load(a2 + kk), w, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Load(a3 + kk), w, c3);
        }
        Span<Vector512<float>> c = [c0, c1, c2, c3];
        Finish(a, m, first, count, kk, sums, c);
    }

    // Adds each row's lanes, and the values past the last whole vector (bf16 rows of a width that is not a multiple of 16).
    private void Finish(float* a, int m, long first, int count, int kk, float* sums, Span<Vector512<float>> c)
    {
        float* tail = stackalloc float[16];
        int rest = count - kk;
        if (rest > 0)
        {
            long at = first + kk;
            Expand(at / Cols, (int)(at % Cols), rest, tail);
        }
        for (int r = 0; r < m; r++)
        {
            float sum = Vector512.Sum(c[r]);
            for (int i = 0; i < rest; i++) sum = MathF.FusedMultiplyAdd(a[(long)r * Cols + kk + i], tail[i], sum);
            sums[r] = sum;
        }
    }

    private interface IRowLoad
    {
        static abstract Vector512<float> Load(in CompactRows rows, long first, int kk);
    }

    private readonly struct Bf16Load : IRowLoad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(in CompactRows rows, long first, int kk) => Bf16x16(rows._bf16 + first + kk);
    }

    // first starts a row (a whole number of blocks) and kk is a multiple of 16, so the 16 values share one block's scale.
    private readonly struct Q8Load : IRowLoad
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(in CompactRows rows, long first, int kk) =>
            Q8x16(rows._q8 + first + kk) * Vector512.Create(rows._scales[(first + kk) / Q8Blocks.BlockSize]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16x16(ushort* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    // One int8 block: total + d·(x[0..16)·q[0..16) + x[16..32)·q[16..32)), the second half fused onto the first's product.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(Vector512<float> x0, Vector512<float> x1, sbyte* q, float d, Vector512<float> total) =>
        Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(x1, Q8x16(q + 16), x0 * Q8x16(q)), Vector512.Create(d), total);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8x16(sbyte* p) => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(p)));
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpt.Kernels.Quantization;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>
/// A matrix (rows, cols) whose rows are held compact for inference, and the expansion of a run of one row back to
/// fp32: bf16 (the upper half of each fp32, so exact) or int8 in <see cref="Q8Blocks"/>' layout (32 values a block,
/// one fp16 scale each, x = d·q: the same product, rounded once, as <see cref="Q8Blocks.Dequantize"/>, so the values
/// are bit-identical to it). Every compact GEMM path and the embedding lookup expand through here.
/// </summary>
internal readonly unsafe struct CompactRows
{
    private readonly ushort* _bf16;
    private readonly sbyte* _q8;
    private readonly Half* _scales;

    private CompactRows(ushort* bf16, sbyte* q8, Half* scales, int cols)
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

    /// <summary>Rows of <see cref="Q8Blocks"/> values with one scale per block; <paramref name="cols"/> is a multiple of 32.</summary>
    public static CompactRows Q8(sbyte* values, Half* scales, int cols) => new(null, values, scales, cols);

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
    private static void ExpandQ8(sbyte* q, Half* scales, long first, int count, float* dst)
    {
        int i = 0;
        const int Block = Q8Blocks.BlockSize;
        // Up to the first block boundary one value at a time, then whole blocks vectorised.
        for (; i < count && (first + i) % Block != 0; i++) dst[i] = (float)scales[(first + i) / Block] * q[i];
        if (Avx512F.IsSupported)
        {
            for (; i + Block <= count; i += Block)
            {
                var d = Vector512.Create((float)scales[(first + i) / Block]);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i))) * d).Store(dst + i);
                (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i + 16))) * d).Store(dst + i + 16);
            }
        }
        else if (Avx2.IsSupported)
        {
            for (; i + Block <= count; i += Block)
            {
                var d = Vector256.Create((float)scales[(first + i) / Block]);
                for (int h = 0; h < Block; h += 8)
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + i + h)) * d).Store(dst + i + h);
            }
        }
        for (; i < count; i++) dst[i] = (float)scales[(first + i) / Block] * q[i];
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

    // Per block: s = Σ x·q over 32 values, then total += d·s. Two totals alternate so the scale's multiply-add
    // chain does not wait on the previous block. The fp16 scales are widened a run at a time, vectorised: one by
    // one, the conversion would cost as much as the block's arithmetic.
    private static float DotQ8(float* x, sbyte* q, Half* scales, int k)
    {
        const int RunBlocks = 128;
        float* d = stackalloc float[RunBlocks];
        var t0 = Vector512<float>.Zero;
        var t1 = Vector512<float>.Zero;
        int blocks = k / Q8Blocks.BlockSize;
        for (int run = 0; run < blocks; run += RunBlocks)
        {
            int count = Math.Min(RunBlocks, blocks - run);
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(scales + run, count), new Span<float>(d, count));
            float* xr = x + run * 32;
            sbyte* qr = q + run * 32;
            int b = 0;
            for (; b + 2 <= count; b += 2)
            {
                float* xb = xr + b * 32;
                sbyte* qb = qr + b * 32;
                var s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xb + 16), Q8x16(qb + 16), Vector512.Load(xb) * Q8x16(qb));
                var s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xb + 48), Q8x16(qb + 48), Vector512.Load(xb + 32) * Q8x16(qb + 32));
                t0 = Avx512F.FusedMultiplyAdd(s0, Vector512.Create(d[b]), t0);
                t1 = Avx512F.FusedMultiplyAdd(s1, Vector512.Create(d[b + 1]), t1);
            }
            if (b < count)
            {
                float* xb = xr + b * 32;
                sbyte* qb = qr + b * 32;
                var s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xb + 16), Q8x16(qb + 16), Vector512.Load(xb) * Q8x16(qb));
                t0 = Avx512F.FusedMultiplyAdd(s0, Vector512.Create(d[b]), t0);
            }
        }
        return Vector512.Sum(t0 + t1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16x16(ushort* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8x16(sbyte* p) => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(p)));
}

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The exact scan's inner kernel: dot products of a few queries with a few stored rows at once, all of
/// length d and contiguous (the "NT" form of a matrix product, so nothing is packed). A 4 x 4 tile keeps 16
/// accumulators in registers and loads 8 vectors per 16 fused multiply-adds, so a batch of queries runs near
/// the FMA units' peak while each stored row is read from memory once for the whole batch.
/// </summary>
/// <remarks>
/// AVX-512 is used whenever the CPU has it, even where .NET prefers 256-bit vectors by default (older Xeons
/// lower their clock under 512-bit code, but this loop is bound by multiply-adds and gains more than it
/// loses); then AVX2 + FMA; elsewhere <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// per pair. The order of additions depends only on d and the vector width, so results are the same from
/// run to run and for any thread count.
/// </remarks>
internal static unsafe class DotProductTiles
{
    private static readonly bool Use512 = Avx512F.IsSupported;
    private static readonly bool Use256 = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>out[4 * i + j] = dot(q_i, r_j) for queries q_i = <paramref name="q"/> + i * d and rows r_j = <paramref name="r"/> + j * d.</summary>
    public static void Tile4x4(float* q, float* r, int d, float* output)
    {
        if (Use512) Tile4x4<Simd512, Vector512<float>>(q, r, d, output);
        else if (Use256) Tile4x4<Simd256, Vector256<float>>(q, r, d, output);
        else
        {
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) output[4 * i + j] = Dot(q + (long)i * d, r + (long)j * d, d);
        }
    }

    /// <summary>out[j] = dot(q, r_j) for one query and 4 rows r_j = <paramref name="r"/> + j * d.</summary>
    public static void Tile1x4(float* q, float* r, int d, float* output)
    {
        if (Use512) Tile1x4<Simd512, Vector512<float>>(q, r, d, output);
        else if (Use256) Tile1x4<Simd256, Vector256<float>>(q, r, d, output);
        else
        {
            for (int j = 0; j < 4; j++) output[j] = Dot(q, r + (long)j * d, d);
        }
    }

    /// <summary>One dot product (the rows left over after the 4-row tiles).</summary>
    public static float Dot(float* q, float* r, int d) => TensorPrimitives.Dot(new ReadOnlySpan<float>(q, d), new ReadOnlySpan<float>(r, d));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4<TS, TV>(float* q, float* r, int d, float* output) where TS : ISimd<TV> where TV : struct
    {
        float* q1 = q + d, q2 = q1 + d, q3 = q2 + d, r1 = r + d, r2 = r1 + d, r3 = r2 + d;
        TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero, a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
        TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero, a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
        int k = 0;
        for (; k <= d - TS.Width; k += TS.Width)
        {
            TV b0 = TS.Load(r + k), b1 = TS.Load(r1 + k), b2 = TS.Load(r2 + k), b3 = TS.Load(r3 + k);
            TV x = TS.Load(q + k);
            a00 = TS.Fma(x, b0, a00); a01 = TS.Fma(x, b1, a01); a02 = TS.Fma(x, b2, a02); a03 = TS.Fma(x, b3, a03);
            x = TS.Load(q1 + k);
            a10 = TS.Fma(x, b0, a10); a11 = TS.Fma(x, b1, a11); a12 = TS.Fma(x, b2, a12); a13 = TS.Fma(x, b3, a13);
            x = TS.Load(q2 + k);
            a20 = TS.Fma(x, b0, a20); a21 = TS.Fma(x, b1, a21); a22 = TS.Fma(x, b2, a22); a23 = TS.Fma(x, b3, a23);
            x = TS.Load(q3 + k);
            a30 = TS.Fma(x, b0, a30); a31 = TS.Fma(x, b1, a31); a32 = TS.Fma(x, b2, a32); a33 = TS.Fma(x, b3, a33);
        }
        output[0] = TS.Sum(a00); output[1] = TS.Sum(a01); output[2] = TS.Sum(a02); output[3] = TS.Sum(a03);
        output[4] = TS.Sum(a10); output[5] = TS.Sum(a11); output[6] = TS.Sum(a12); output[7] = TS.Sum(a13);
        output[8] = TS.Sum(a20); output[9] = TS.Sum(a21); output[10] = TS.Sum(a22); output[11] = TS.Sum(a23);
        output[12] = TS.Sum(a30); output[13] = TS.Sum(a31); output[14] = TS.Sum(a32); output[15] = TS.Sum(a33);
        for (; k < d; k++)
        {
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) output[4 * i + j] += q[(long)i * d + k] * r[(long)j * d + k];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4<TS, TV>(float* q, float* r, int d, float* output) where TS : ISimd<TV> where TV : struct
    {
        float* r1 = r + d, r2 = r1 + d, r3 = r2 + d;
        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
        int k = 0;
        for (; k <= d - TS.Width; k += TS.Width)
        {
            TV x = TS.Load(q + k);
            a0 = TS.Fma(x, TS.Load(r + k), a0);
            a1 = TS.Fma(x, TS.Load(r1 + k), a1);
            a2 = TS.Fma(x, TS.Load(r2 + k), a2);
            a3 = TS.Fma(x, TS.Load(r3 + k), a3);
        }
        output[0] = TS.Sum(a0); output[1] = TS.Sum(a1); output[2] = TS.Sum(a2); output[3] = TS.Sum(a3);
        for (; k < d; k++)
        {
            for (int j = 0; j < 4; j++) output[j] += q[k] * r[(long)j * d + k];
        }
    }

    /// <summary>The vector operations of the tiles, per width; structs, so the JIT specialises each tile.</summary>
    private interface ISimd<TV> where TV : struct
    {
        static abstract int Width { get; }
        static abstract TV Zero { get; }
        static abstract TV Load(float* p);
        static abstract TV Fma(TV a, TV b, TV c);
        static abstract float Sum(TV v);
    }

    private readonly struct Simd512 : ISimd<Vector512<float>>
    {
        public static int Width => 16;
        public static Vector512<float> Zero => Vector512<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    }

    private readonly struct Simd256 : ISimd<Vector256<float>>
    {
        public static int Width => 8;
        public static Vector256<float> Zero => Vector256<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gpt.Kernels.Devices.Cpu.Gemm;

/// <summary>The vector operations the GEMM micro-kernel needs, for one vector width. Implemented by
/// structs so that the JIT specialises and inlines the kernel per width.</summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal unsafe interface IGemmSimd<TV> where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>Rows of the micro-tile (MR): as many as the register file holds two accumulators for.</summary>
    static abstract int Rows { get; }

    /// <summary>All zeros.</summary>
    static abstract TV Zero { get; }

    /// <summary>Unaligned load.</summary>
    static abstract TV Load(float* p);

    /// <summary>Unaligned store.</summary>
    static abstract void Store(float* p, TV v);

    /// <summary>x in every lane.</summary>
    static abstract TV Splat(float x);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>a * b.</summary>
    static abstract TV Multiply(TV a, TV b);

    /// <summary>a + b.</summary>
    static abstract TV Add(TV a, TV b);
}

/// <summary>512-bit vectors (AVX-512): 32 registers, so a 12 x 32 tile (24 accumulators).</summary>
internal unsafe struct GemmSimd512 : IGemmSimd<Vector512<float>>
{
    public static int Width => 16;
    public static int Rows => 12;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>256-bit vectors (AVX2 + FMA): 16 registers, so a 6 x 16 tile (12 accumulators).</summary>
internal unsafe struct GemmSimd256 : IGemmSimd<Vector256<float>>
{
    public static int Width => 8;
    public static int Rows => 6;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
}

/// <summary>128-bit vectors (SSE, NEON, or software): a 6 x 8 tile (12 accumulators).</summary>
internal unsafe struct GemmSimd128 : IGemmSimd<Vector128<float>>
{
    public static int Width => 4;
    public static int Rows => 6;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
}

/// <summary>A row count known to the JIT, so a micro-kernel instantiated for it keeps only those rows.</summary>
internal interface IGemmRows
{
    /// <summary>The number of rows.</summary>
    static abstract int Count { get; }
}

internal struct Rows1 : IGemmRows { public static int Count => 1; }
internal struct Rows2 : IGemmRows { public static int Count => 2; }
internal struct Rows3 : IGemmRows { public static int Count => 3; }
internal struct Rows4 : IGemmRows { public static int Count => 4; }
internal struct Rows5 : IGemmRows { public static int Count => 5; }
internal struct Rows6 : IGemmRows { public static int Count => 6; }
internal struct Rows7 : IGemmRows { public static int Count => 7; }
internal struct Rows8 : IGemmRows { public static int Count => 8; }
internal struct Rows9 : IGemmRows { public static int Count => 9; }
internal struct Rows10 : IGemmRows { public static int Count => 10; }
internal struct Rows11 : IGemmRows { public static int Count => 11; }
internal struct Rows12 : IGemmRows { public static int Count => 12; }

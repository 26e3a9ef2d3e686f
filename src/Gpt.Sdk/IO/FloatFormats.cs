using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Gpt.Sdk.IO;

/// <summary>Conversions between fp32 and the 16-bit float formats stored in model files.</summary>
internal static class FloatFormats
{
    /// <summary>bf16 → fp32 is exact: the bf16 bits are the upper half of the fp32 bits.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(source[i..]), out Vector<uint> low, out Vector<uint> high);
                (low << 16).CopyTo(bits[i..]);
                (high << 16).CopyTo(bits[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++)
            bits[i] = (uint)source[i] << 16;
    }

    /// <summary>fp32 → bf16, rounding to nearest even (as PyTorch does); NaN stays a (quiet) NaN.</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(source);
        for (int i = 0; i < bits.Length; i++)
        {
            uint b = bits[i];
            destination[i] = float.IsNaN(source[i])
                ? (ushort)((b >> 16) | 0x0040)
                : (ushort)((b + 0x7FFF + ((b >> 16) & 1)) >> 16);
        }
    }

    /// <summary>fp16 → fp32 (exact).</summary>
    public static void HalfToSingle(ReadOnlySpan<Half> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(source, destination);

    /// <summary>fp32 → fp16, rounding to nearest even; out-of-range values become ±infinity.</summary>
    public static void SingleToHalf(ReadOnlySpan<float> source, Span<Half> destination) =>
        TensorPrimitives.ConvertToHalf(source, destination);

    /// <summary>fp64 → fp32, rounding to nearest.</summary>
    public static void DoubleToSingle(ReadOnlySpan<double> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
            destination[i] = (float)source[i];
    }
}

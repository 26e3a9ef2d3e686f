namespace Gpt.Sdk.IO;

/// <summary>
/// Element type of a tensor in a safetensors file, as spelled in its header (<c>"F32"</c>, <c>"BF16"</c>, ...).
/// All multi-byte types are little-endian.
/// </summary>
public enum SafetensorsDType
{
    /// <summary><c>BOOL</c>: one byte, 0 or 1.</summary>
    Bool,
    /// <summary><c>U8</c>: unsigned 8-bit integer.</summary>
    U8,
    /// <summary><c>I8</c>: signed 8-bit integer.</summary>
    I8,
    /// <summary><c>F8_E5M2</c>: 8-bit float, 5 exponent and 2 mantissa bits.</summary>
    F8E5M2,
    /// <summary><c>F8_E4M3</c>: 8-bit float, 4 exponent and 3 mantissa bits.</summary>
    F8E4M3,
    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    I16,
    /// <summary><c>U16</c>: unsigned 16-bit integer.</summary>
    U16,
    /// <summary><c>F16</c>: IEEE 754 half precision (<see cref="System.Half"/>).</summary>
    F16,
    /// <summary><c>BF16</c>: bfloat16, the upper 16 bits of an IEEE 754 single.</summary>
    BF16,
    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    I32,
    /// <summary><c>U32</c>: unsigned 32-bit integer.</summary>
    U32,
    /// <summary><c>F32</c>: IEEE 754 single precision.</summary>
    F32,
    /// <summary><c>F64</c>: IEEE 754 double precision.</summary>
    F64,
    /// <summary><c>I64</c>: signed 64-bit integer.</summary>
    I64,
    /// <summary><c>U64</c>: unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>Header spelling and element size of each <see cref="SafetensorsDType"/>.</summary>
internal static class SafetensorsDTypes
{
    private static readonly string[] Names =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

    /// <summary>The spelling in a safetensors header, e.g. <c>"BF16"</c>.</summary>
    public static string HeaderName(SafetensorsDType dtype) => Names[(int)dtype];

    /// <summary>Bytes per element.</summary>
    public static int Size(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8
            or SafetensorsDType.F8E5M2 or SafetensorsDType.F8E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>Parses a header spelling (exact, case-sensitive as the format requires).</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        int index = Array.IndexOf(Names, name);
        dtype = (SafetensorsDType)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>All header spellings, for error messages.</summary>
    public static string AllNames => string.Join(", ", Names);
}

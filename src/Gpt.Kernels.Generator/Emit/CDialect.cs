using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gpt.Kernels.Generator.Model;

namespace Gpt.Kernels.Generator.Emit;

/// <summary>
/// The strings in which the C-family targets differ (tinygrad's CStyleLanguage): kernel and helper qualifiers,
/// pointer and shared-memory declarations, grid indices, the barrier, type names, math and atomic functions.
/// Everything else (statements, operators, precedence) is shared by <see cref="Translation.FunctionTranslator"/>.
/// </summary>
internal abstract class CDialect
{
    /// <summary>"OpenCL" or "CUDA", for comments.</summary>
    public abstract string Name { get; }

    /// <summary>What precedes "void name(...)" for a kernel entry point.</summary>
    public abstract string KernelQualifier { get; }

    /// <summary>What precedes the return type of a helper function.</summary>
    public abstract string HelperQualifier { get; }

    /// <summary>The group barrier statement, without its semicolon.</summary>
    public abstract string Barrier { get; }

    /// <summary>Type name of a scalar.</summary>
    public abstract string TypeName(ScalarKind kind);

    /// <summary>Pointer type to elements in the given memory.</summary>
    public abstract string Pointer(ScalarKind element, AddressSpace space);

    /// <summary>Declaration of a group-shared array.</summary>
    public abstract string SharedArray(ScalarKind element, string name, int length);

    /// <summary>An int-valued expression for a grid quantity in dimension 0, 1 or 2.</summary>
    public abstract string Grid(GridQuantity quantity, int dimension);

    /// <summary>A float from its IEEE bits (infinities and NaN have no literal).</summary>
    public abstract string FloatFromBits(uint bits);

    /// <summary>Suffix of a 64-bit signed literal.</summary>
    public abstract string Int64Suffix { get; }

    /// <summary>A call of a <c>KernelMath</c> function on arguments of the given kind.</summary>
    public abstract string Math(string function, ScalarKind kind, IReadOnlyList<string> arguments);

    /// <summary>The float remainder a % b (C# semantics: C's fmod).</summary>
    public abstract string FloatRemainder(string a, string b);

    /// <summary>An <c>Atomic</c> call on the element at <paramref name="pointer"/>; may ask for a helper definition
    /// by adding its name to <paramref name="helpers"/> (see <see cref="AtomicHelper"/>).</summary>
    public abstract string Atomic(string operation, ScalarKind kind, AddressSpace space, string pointer,
        IReadOnlyList<string> arguments, ISet<string> helpers);

    /// <summary>The definition of an atomic helper named by <see cref="Atomic"/>.</summary>
    public abstract string AtomicHelper(string name);

    /// <summary>A literal of the given kind, parenthesised when negative.</summary>
    public string Literal(object value, ScalarKind kind)
    {
        string text = kind switch
        {
            ScalarKind.Bool => (bool)value ? "true" : "false",
            ScalarKind.Int32 => (int)value == int.MinValue ? "(-2147483647 - 1)" : Signed((int)value, ""),
            ScalarKind.UInt32 => ((uint)value).ToString(CultureInfo.InvariantCulture) + "u",
            ScalarKind.Int64 => (long)value == long.MinValue
                ? $"(-9223372036854775807{Int64Suffix} - 1{Int64Suffix})"
                : Signed((long)value, Int64Suffix),
            ScalarKind.UInt64 => ((ulong)value).ToString(CultureInfo.InvariantCulture) + "u" + Int64Suffix,
            _ => Float((float)value),
        };
        return text;
    }

    private static string Signed(long value, string suffix) =>
        value < 0 ? $"({value.ToString(CultureInfo.InvariantCulture)}{suffix})" : value.ToString(CultureInfo.InvariantCulture) + suffix;

    private string Float(float value)
    {
        if (float.IsNaN(value) || float.IsInfinity(value))
            return FloatFromBits(unchecked((uint)System.BitConverter.ToInt32(System.BitConverter.GetBytes(value), 0)));
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (!text.Any(c => c is '.' or 'E' or 'e')) text += ".0";
        text += "f";
        return text.StartsWith("-", System.StringComparison.Ordinal) ? "(" + text + ")" : text;
    }
}

using Microsoft.CodeAnalysis;

namespace Gpt.Kernels.Generator.Model;

/// <summary>The value types kernels compute with; the first five are also buffer elements and scalar parameters.</summary>
internal enum ScalarKind
{
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Bool,
}

internal static class ScalarKinds
{
    /// <summary>The kernel kind of a C# type, or null when kernels cannot use it.</summary>
    public static ScalarKind? Of(ITypeSymbol? type) => type?.SpecialType switch
    {
        SpecialType.System_Int32 => ScalarKind.Int32,
        SpecialType.System_UInt32 => ScalarKind.UInt32,
        SpecialType.System_Int64 => ScalarKind.Int64,
        SpecialType.System_UInt64 => ScalarKind.UInt64,
        SpecialType.System_Single => ScalarKind.Float32,
        SpecialType.System_Boolean => ScalarKind.Bool,
        _ => null,
    };

    public static int Size(ScalarKind kind) => kind is ScalarKind.Int64 or ScalarKind.UInt64 ? 8 : kind == ScalarKind.Bool ? 1 : 4;

    /// <summary>The C# keyword of the type.</summary>
    public static string CSharpName(ScalarKind kind) => kind switch
    {
        ScalarKind.Int32 => "int",
        ScalarKind.UInt32 => "uint",
        ScalarKind.Int64 => "long",
        ScalarKind.UInt64 => "ulong",
        ScalarKind.Float32 => "float",
        _ => "bool",
    };
}

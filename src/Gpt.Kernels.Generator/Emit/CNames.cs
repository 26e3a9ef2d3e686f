using System.Collections.Generic;
using System.Text;

namespace Gpt.Kernels.Generator.Emit;

/// <summary>Turns C# identifiers into C identifiers that cannot collide with a keyword, a built-in of either
/// target, or the generator's own <c>gptk_</c> names.</summary>
internal static class CNames
{
    public const string Prefix = "gptk_";

    private static readonly HashSet<string> Reserved =
    [
        // C, C++ (CUDA is C++) and alternative operator tokens
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
        "true", "false", "and", "and_eq", "bitand", "bitor", "compl", "not", "not_eq", "or", "or_eq", "xor", "xor_eq",
        "asm", "catch", "class", "const_cast", "delete", "dynamic_cast", "explicit", "export", "friend", "mutable",
        "namespace", "new", "operator", "private", "protected", "public", "reinterpret_cast", "static_cast",
        "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "nullptr",
        "alignas", "alignof", "constexpr", "decltype", "noexcept", "static_assert", "thread_local",
        // OpenCL C
        "global", "local", "constant", "kernel", "read_only", "write_only", "read_write", "half", "uchar", "ushort",
        "uint", "ulong", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "image1d_t", "image2d_t", "image3d_t",
        "sampler_t", "event_t", "complex", "imaginary", "NULL", "INFINITY", "NAN", "MAXFLOAT",
        // built-in functions the generated code calls
        "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "erf", "pow", "fma", "fabs", "floor", "fmax", "fmin", "fmod", "abs",
        "max", "min", "as_int", "as_float", "barrier", "get_global_id", "get_group_id", "get_num_groups",
        "get_local_id", "get_local_size", "atomic_add", "atomic_max", "atomic_min", "atomic_xchg", "atomic_cmpxchg",
        "expf", "logf", "log1pf", "sqrtf", "rsqrtf", "tanhf", "erff", "powf", "fmaf", "fabsf", "floorf", "fmaxf", "fminf",
        "fmodf", "atomicAdd", "atomicMax", "atomicMin", "atomicExch", "atomicCAS", "__syncthreads",
        "__float_as_int", "__int_as_float", "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize",
    ];

    /// <summary>The C name of a C# local, parameter or method name.</summary>
    public static string Mangle(string name)
    {
        var text = new StringBuilder();
        bool escaped = false;
        foreach (char c in name)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_') text.Append(c);
            else
            {
                text.Append("_u").Append(((int)c).ToString("x4"));
                escaped = true;
            }
        }
        string result = text.ToString();
        if (result.StartsWith(Prefix, System.StringComparison.Ordinal)) return Prefix + "u_" + result;
        return escaped || Reserved.Contains(result) ? Prefix + result : result;
    }

    /// <summary>The name of the variable holding the length of the view called <paramref name="mangled"/>.</summary>
    public static string Length(string mangled) => Prefix + "len_" + mangled;
}

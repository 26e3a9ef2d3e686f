using System.Collections.Generic;
using Gpt.Kernels.Generator.Model;

namespace Gpt.Kernels.Generator.Emit;

/// <summary>OpenCL C 1.2: address-space qualified pointers, work-item functions, <c>barrier</c>, overloaded math.</summary>
internal sealed class OpenCLDialect : CDialect
{
    public static readonly OpenCLDialect Instance = new();

    public override string Name => "OpenCL C 1.2";

    public override string KernelQualifier => "__kernel void";

    public override string HelperQualifier => "";

    public override string Barrier => "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)";

    public override string Int64Suffix => "L";

    public override string TypeName(ScalarKind kind) => kind switch
    {
        ScalarKind.Int32 => "int",
        ScalarKind.UInt32 => "uint",
        ScalarKind.Int64 => "long",
        ScalarKind.UInt64 => "ulong",
        ScalarKind.Float32 => "float",
        _ => "bool",
    };

    public override string Pointer(ScalarKind element, AddressSpace space) =>
        (space == AddressSpace.Global ? "__global " : "__local ") + TypeName(element) + "*";

    public override string SharedArray(ScalarKind element, string name, int length) =>
        $"__local {TypeName(element)} {name}[{length}];";

    public override string Grid(GridQuantity quantity, int dimension) => quantity switch
    {
        GridQuantity.GlobalIndex => $"(int)get_global_id({dimension})",
        GridQuantity.GroupIndex => $"(int)get_group_id({dimension})",
        GridQuantity.GroupCount => $"(int)get_num_groups({dimension})",
        GridQuantity.ThreadIndex => $"(int)get_local_id({dimension})",
        _ => $"(int)get_local_size({dimension})",
    };

    public override string FloatFromBits(uint bits) => $"as_float(0x{bits:x8}u)";

    public override string Math(string function, ScalarKind kind, IReadOnlyList<string> arguments)
    {
        string args = string.Join(", ", arguments);
        if (kind != ScalarKind.Float32)
            return function == "Abs" ? $"((int)abs({args}))" : $"{function.ToLowerInvariant()}({args})";
        return function switch
        {
            "Abs" => $"fabs({args})",
            "Max" => $"fmax({args})",
            "Min" => $"fmin({args})",
            _ => $"{function.ToLowerInvariant()}({args})",
        };
    }

    public override string FloatRemainder(string a, string b) => $"fmod({a}, {b})";

    public override string Atomic(string operation, ScalarKind kind, AddressSpace space, string pointer,
        IReadOnlyList<string> arguments, ISet<string> helpers)
    {
        string args = string.Join(", ", arguments);
        if (kind == ScalarKind.Int32)
        {
            string function = operation switch
            {
                "Add" => "atomic_add",
                "Max" => "atomic_max",
                "Min" => "atomic_min",
                "Exchange" => "atomic_xchg",
                _ => "atomic_cmpxchg",
            };
            return $"{function}({pointer}, {args})";
        }
        string helper = $"gptk_atomic_{operation.ToLowerInvariant()}_float_{(space == AddressSpace.Global ? "global" : "local")}";
        helpers.Add(helper);
        return $"{helper}({pointer}, {args})";
    }

    public override string AtomicHelper(string name)
    {
        // gptk_atomic_{op}_float_{space}: OpenCL 1.2 has no float atomics; loop on a 32-bit compare-and-swap.
        string[] parts = name.Split('_');
        string op = parts[2], space = parts[4] == "global" ? "__global" : "__local";
        string combine = op switch
        {
            "add" => "as_float(old) + value",
            "max" => "fmax(as_float(old), value)",
            _ => "fmin(as_float(old), value)",
        };
        return $$"""
            float {{name}}(volatile {{space}} float* target, float value)
            {
                volatile {{space}} int* bits = (volatile {{space}} int*)target;
                int old = *bits;
                int seen;
                while ((seen = atomic_cmpxchg(bits, old, as_int({{combine}}))) != old) old = seen;
                return as_float(old);
            }
            """;
    }
}

using System.Collections.Generic;
using Gpt.Kernels.Generator.Model;

namespace Gpt.Kernels.Generator.Emit;

/// <summary>CUDA C for NVRTC: <c>extern "C" __global__</c> entry points, <c>__device__</c> helpers,
/// <c>threadIdx</c>/<c>blockIdx</c>, <c>__syncthreads</c>, the <c>f</c>-suffixed float math.</summary>
internal sealed class CudaDialect : CDialect
{
    public static readonly CudaDialect Instance = new();

    private static readonly string[] Axes = ["x", "y", "z"];

    public override string Name => "CUDA C";

    public override string KernelQualifier => "extern \"C\" __global__ void";

    public override string HelperQualifier => "__device__ ";

    public override string Barrier => "__syncthreads()";

    public override string Int64Suffix => "LL";

    public override string TypeName(ScalarKind kind) => kind switch
    {
        ScalarKind.Int32 => "int",
        ScalarKind.UInt32 => "unsigned int",
        ScalarKind.Int64 => "long long",
        ScalarKind.UInt64 => "unsigned long long",
        ScalarKind.Float32 => "float",
        _ => "bool",
    };

    public override string Pointer(ScalarKind element, AddressSpace space) => TypeName(element) + "*";

    public override string SharedArray(ScalarKind element, string name, int length) =>
        $"__shared__ {TypeName(element)} {name}[{length}];";

    public override string Grid(GridQuantity quantity, int dimension)
    {
        string axis = Axes[dimension];
        return quantity switch
        {
            GridQuantity.GlobalIndex => $"(int)(blockIdx.{axis} * blockDim.{axis} + threadIdx.{axis})",
            GridQuantity.GroupIndex => $"(int)blockIdx.{axis}",
            GridQuantity.GroupCount => $"(int)gridDim.{axis}",
            GridQuantity.ThreadIndex => $"(int)threadIdx.{axis}",
            _ => $"(int)blockDim.{axis}",
        };
    }

    public override string FloatFromBits(uint bits) => $"__int_as_float(0x{bits:x8})";

    public override string Math(string function, ScalarKind kind, IReadOnlyList<string> arguments)
    {
        string args = string.Join(", ", arguments);
        if (kind != ScalarKind.Float32) return $"{function.ToLowerInvariant()}({args})";
        return function switch
        {
            "Abs" => $"fabsf({args})",
            "Max" => $"fmaxf({args})",
            "Min" => $"fminf({args})",
            _ => $"{function.ToLowerInvariant()}f({args})",
        };
    }

    public override string FloatRemainder(string a, string b) => $"fmodf({a}, {b})";

    public override string Atomic(string operation, ScalarKind kind, AddressSpace space, string pointer,
        IReadOnlyList<string> arguments, ISet<string> helpers)
    {
        string args = string.Join(", ", arguments);
        if (kind == ScalarKind.Float32 && operation is "Max" or "Min")
        {
            string helper = $"gptk_atomic_{operation.ToLowerInvariant()}_float";
            helpers.Add(helper);
            return $"{helper}({pointer}, {args})";
        }
        string function = operation switch
        {
            "Add" => "atomicAdd",
            "Max" => "atomicMax",
            "Min" => "atomicMin",
            "Exchange" => "atomicExch",
            _ => "atomicCAS",
        };
        return $"{function}({pointer}, {args})";
    }

    public override string AtomicHelper(string name)
    {
        // gptk_atomic_{max|min}_float: CUDA has float atomicAdd but no float max/min; loop on atomicCAS.
        string combine = name.Contains("_max_") ? "fmaxf" : "fminf";
        return $$"""
            __device__ float {{name}}(float* target, float value)
            {
                int* bits = (int*)target;
                int old = *bits;
                int seen;
                while ((seen = atomicCAS(bits, old, __float_as_int({{combine}}(__int_as_float(old), value)))) != old) old = seen;
                return __int_as_float(old);
            }
            """;
    }
}

using Microsoft.CodeAnalysis;

namespace Gpt.Kernels.Generator;

/// <summary>Every diagnostic the kernel generator reports. Each is an error at the line of the offending
/// construct, and its message says what is not supported and what to write instead.</summary>
internal static class KernelDiagnostics
{
    private const string Category = "Gpt.Kernels";

    public static readonly DiagnosticDescriptor InvalidKernel = Error("GPTK001",
        "Invalid kernel method",
        "Kernel '{0}' must be a static, non-generic, non-async method returning void with a body: {1}");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("GPTK002",
        "Kernel's type must be partial and non-generic",
        "Type '{0}' must be a non-generic partial class or struct (and so must every type around it) so the generator can add the launchers of kernel '{1}'");

    public static readonly DiagnosticDescriptor UnsupportedParameter = Error("GPTK003",
        "Unsupported kernel parameter",
        "Parameter '{0}' of type '{1}' cannot be passed to a kernel: use ArrayView<T> (T = float, int, uint, long or ulong) or an int, uint, long, ulong or float scalar");

    public static readonly DiagnosticDescriptor UnsupportedType = Error("GPTK004",
        "Unsupported type in a kernel",
        "Type '{0}' is not supported in kernels: {1}");

    public static readonly DiagnosticDescriptor Allocation = Error("GPTK005",
        "Allocation in a kernel",
        "'{0}' creates an object, and kernels cannot allocate: GPU code has no heap; pass buffers as ArrayView<T> parameters and keep values in locals");

    public static readonly DiagnosticDescriptor Array = Error("GPTK006",
        "Array in a kernel",
        "Arrays are not supported in kernels ('{0}'): use an ArrayView<T> parameter, or SharedMemory.Allocate<T>(n) for memory shared by a group");

    public static readonly DiagnosticDescriptor VirtualCall = Error("GPTK007",
        "Virtual or interface call in a kernel",
        "'{0}' is a virtual or interface call: kernels can call only static methods, which are resolved at build time");

    public static readonly DiagnosticDescriptor UnsupportedCall = Error("GPTK008",
        "Call to a method a kernel cannot use",
        "'{0}' cannot be called from a kernel: only KernelMath, Atomic, Group, Grid, SharedMemory, ArrayView.SubView and static methods declared in this project can{1}");

    public static readonly DiagnosticDescriptor Linq = Error("GPTK009",
        "LINQ in a kernel",
        "LINQ ('{0}') is not supported in kernels: write the loop out with for or while");

    public static readonly DiagnosticDescriptor String = Error("GPTK010",
        "String in a kernel",
        "Strings are not supported in kernels ('{0}'): GPU code has no string type");

    public static readonly DiagnosticDescriptor Recursion = Error("GPTK011",
        "Recursion in a kernel",
        "'{0}' calls itself, directly or through other methods: GPU code cannot recurse; rewrite it as a loop");

    public static readonly DiagnosticDescriptor ExceptionHandling = Error("GPTK012",
        "Exception handling in a kernel",
        "'{0}' is not supported in kernels: GPU code has no exceptions; check conditions with if and return instead");

    public static readonly DiagnosticDescriptor Lambda = Error("GPTK013",
        "Lambda or local function in a kernel",
        "Lambdas, anonymous methods, delegates and local functions are not supported in kernels ('{0}'): use a static method");

    public static readonly DiagnosticDescriptor UnsupportedStatement = Error("GPTK014",
        "Unsupported statement in a kernel",
        "'{0}' statements are not supported in kernels: use if, for, while, do, break, continue and return");

    public static readonly DiagnosticDescriptor UnsupportedExpression = Error("GPTK015",
        "Unsupported expression in a kernel",
        "'{0}' is not supported in kernels{1}");

    public static readonly DiagnosticDescriptor SharedMemory = Error("GPTK016",
        "Misplaced shared memory allocation",
        "SharedMemory.Allocate {0}: write 'var tile = SharedMemory.Allocate<float>(N);' as a statement at the top level of the kernel body, with N a positive compile-time constant");

    public static readonly DiagnosticDescriptor View = Error("GPTK017",
        "Unsupported use of an ArrayView",
        "{0}");

    public static readonly DiagnosticDescriptor RefLocal = Error("GPTK018",
        "ref, out and in in a kernel",
        "'{0}': ref locals, ref returns and ref, out or in parameters are not supported in kernels (only Atomic operations take 'ref view[i]'); use values and views");

    public static readonly DiagnosticDescriptor Field = Error("GPTK019",
        "Field read in a kernel",
        "Field '{0}' is not a compile-time constant: kernels read only const fields, their parameters and their locals; make it const or pass it as a parameter");

    public static readonly DiagnosticDescriptor Helper = Error("GPTK020",
        "Method cannot be called from a kernel",
        "'{0}' cannot be called from a kernel: {1}");

    public static readonly DiagnosticDescriptor AtomicTarget = Error("GPTK021",
        "Atomic target is not a view element",
        "The first argument of Atomic.{0} must be an element of an ArrayView, such as 'ref sums[i]'");

    public static readonly DiagnosticDescriptor RequiresUnsafe = Error("GPTK022",
        "Kernels need unsafe code enabled",
        "Project with kernel '{0}' must set <AllowUnsafeBlocks>true</AllowUnsafeBlocks>: the generated CPU launcher pins spans");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}

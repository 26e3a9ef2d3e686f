using Microsoft.CodeAnalysis;

namespace Gpt.Kernels.Generator.Model;

/// <summary>A type around a kernel, outermost first: how to reopen it as a partial declaration.</summary>
/// <param name="Keyword">"class", "struct", "record" or "record struct".</param>
/// <param name="Name">The type's name.</param>
/// <param name="IsStatic">Whether the type is static.</param>
internal sealed record ContainingType(string Keyword, string Name, bool IsStatic);

/// <summary>One kernel parameter as the launchers see it.</summary>
/// <param name="Name">The C# name.</param>
/// <param name="IsBuffer">An ArrayView (true) or a scalar.</param>
/// <param name="Type">The element or scalar type.</param>
internal sealed record ParameterModel(string Name, bool IsBuffer, ScalarKind Type);

/// <summary>A diagnostic found while reading a kernel, kept until the output step reports it.</summary>
internal sealed record DiagnosticModel(DiagnosticDescriptor Descriptor, Location Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location, [.. Arguments]);
}

/// <summary>Everything the output step needs about one <c>[Kernel]</c> method, free of Roslyn symbols.</summary>
internal sealed record KernelModel(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string QualifiedTypeName,
    string MethodName,
    string Accessibility,
    EquatableArray<ParameterModel> Parameters,
    string EntryPoint,
    string OpenCLSource,
    string CudaSource,
    bool UsesBarriers,
    int SharedMemoryBytes,
    bool CanEmitLaunchers,
    Location Location,
    EquatableArray<DiagnosticModel> Diagnostics);

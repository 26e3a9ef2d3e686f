using Microsoft.CodeAnalysis;

namespace Gpt.Kernels.Generator.Translation;

/// <summary>The Gpt.Kernels.Compute types a kernel may use, resolved once per compilation.</summary>
internal sealed class KnownSymbols
{
    private const string Namespace = "Gpt.Kernels.Compute.";

    public KnownSymbols(Compilation compilation)
    {
        ArrayView = compilation.GetTypeByMetadataName(Namespace + "ArrayView`1");
        Dim3 = compilation.GetTypeByMetadataName(Namespace + "Dim3");
        Grid = compilation.GetTypeByMetadataName(Namespace + "Grid");
        Group = compilation.GetTypeByMetadataName(Namespace + "Group");
        SharedMemory = compilation.GetTypeByMetadataName(Namespace + "SharedMemory");
        Atomic = compilation.GetTypeByMetadataName(Namespace + "Atomic");
        KernelMath = compilation.GetTypeByMetadataName(Namespace + "KernelMath");
    }

    public INamedTypeSymbol? ArrayView { get; }
    public INamedTypeSymbol? Dim3 { get; }
    public INamedTypeSymbol? Grid { get; }
    public INamedTypeSymbol? Group { get; }
    public INamedTypeSymbol? SharedMemory { get; }
    public INamedTypeSymbol? Atomic { get; }
    public INamedTypeSymbol? KernelMath { get; }

    /// <summary>True for ArrayView&lt;T&gt; of any T.</summary>
    public bool IsView(ITypeSymbol? type) =>
        type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ArrayView);

    /// <summary>The T of ArrayView&lt;T&gt;.</summary>
    public static ITypeSymbol ElementOf(ITypeSymbol view) => ((INamedTypeSymbol)view).TypeArguments[0];

    public bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        known is not null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, known);
}

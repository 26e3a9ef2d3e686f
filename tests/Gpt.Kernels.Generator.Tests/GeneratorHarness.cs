using System.Collections.Immutable;
using Gpt.Kernels.Compute;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gpt.Kernels.Generator.Tests;

/// <summary>What running the generator on one source file gave.</summary>
/// <param name="Output">The compilation with the generated files added.</param>
/// <param name="Diagnostics">The generator's own diagnostics (GPTK...).</param>
/// <param name="CompileDiagnostics">Warnings and errors of compiling <paramref name="Output"/>, generator's excluded.</param>
public sealed record GeneratorRun(Compilation Output, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> CompileDiagnostics)
{
    /// <summary>A kernel's generated OpenCL C, read back from the compiled launcher class.</summary>
    public string OpenCL(string kernel, string type = "Samples.K") => Constant(type, kernel, "OpenCLSource");

    /// <summary>A kernel's generated CUDA C.</summary>
    public string Cuda(string kernel, string type = "Samples.K") => Constant(type, kernel, "CudaSource");

    /// <summary>The launcher class generated for a kernel, or null.</summary>
    public INamedTypeSymbol? Launcher(string kernel, string type = "Samples.K") =>
        Output.GetTypeByMetadataName($"{type}+{kernel}Kernel");

    private string Constant(string type, string kernel, string field)
    {
        var launcher = Launcher(kernel, type) ?? throw new InvalidOperationException($"No launcher for {type}.{kernel}.");
        return (string)launcher.GetMembers(field).OfType<IFieldSymbol>().Single().ConstantValue!;
    }
}

/// <summary>Runs <see cref="KernelGenerator"/> on source text with CSharpGeneratorDriver, as the compiler would.</summary>
public static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.GetFiles(framework, "*.dll")
            .Where(IsManaged)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(ArrayView<>).Assembly.Location))
            .ToArray();
    });

    /// <summary>Compiles <paramref name="source"/>, runs the generator and compiles its output.</summary>
    /// <param name="source">One C# file.</param>
    /// <param name="allowUnsafe">The project's AllowUnsafeBlocks.</param>
    public static GeneratorRun Run(string source, bool allowUnsafe = true)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Kernels.cs");
        // "Samples" is no friend of Gpt.Kernels: like a user's project that writes its own [Kernel] methods (the
        // package ships the generator), it sees only the public kernel language and launch types.
        var compilation = CSharpCompilation.Create("Samples", [tree], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe,
                nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create(new KernelGenerator())
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        _ = driver;
        var compile = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.Id.StartsWith("GPTK", StringComparison.Ordinal))
            .ToImmutableArray();
        return new GeneratorRun(output, diagnostics, compile);
    }

    /// <summary>Runs the generator and requires a clean result: no GPTK diagnostics, and the source plus the
    /// generated launchers compile without warnings.</summary>
    public static GeneratorRun RunClean(string source)
    {
        var run = Run(source);
        Assert.True(run.Diagnostics.IsEmpty, "Generator diagnostics:\n" + string.Join("\n", run.Diagnostics));
        Assert.True(run.CompileDiagnostics.IsEmpty, "Compiler diagnostics:\n" + string.Join("\n", run.CompileDiagnostics));
        return run;
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

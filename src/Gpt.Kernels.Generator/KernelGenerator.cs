using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Gpt.Kernels.Generator.Emit;
using Gpt.Kernels.Generator.Model;
using Gpt.Kernels.Generator.Translation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gpt.Kernels.Generator;

/// <summary>
/// Finds every method marked <c>[Gpt.Kernels.Compute.Kernel]</c>, translates it to OpenCL C and CUDA C, and adds
/// a nested <c>{Name}Kernel</c> class with its descriptor and typed launchers to the kernel's partial type.
/// Constructs outside the kernel subset are reported as GPTK errors at their own line.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    private const string KernelAttribute = "Gpt.Kernels.Compute.KernelAttribute";

    /// <summary>Registers the pipeline: one model per kernel, then one source file per containing type.</summary>
    /// <param name="context">The generator's initialisation context.</param>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var kernels = context.SyntaxProvider.ForAttributeWithMetadataName(
            KernelAttribute,
            static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax,
            static (syntax, cancellationToken) => Read(syntax, cancellationToken));

        context.RegisterSourceOutput(kernels.Collect(), static (output, models) => Write(output, models));
    }

    private static KernelModel Read(GeneratorAttributeSyntaxContext syntax, System.Threading.CancellationToken cancellationToken)
    {
        var method = (IMethodSymbol)syntax.TargetSymbol;
        var compilation = syntax.SemanticModel.Compilation;
        var known = new KnownSymbols(compilation);
        var diagnostics = new List<DiagnosticModel>();
        void Report(DiagnosticDescriptor descriptor, Location location, params string[] arguments) =>
            diagnostics.Add(new DiagnosticModel(descriptor, location, new EquatableArray<string>(arguments)));

        var location = syntax.TargetNode is MethodDeclarationSyntax declaration
            ? declaration.Identifier.GetLocation()
            : syntax.TargetNode.GetLocation();
        string? problem = KernelProblem(method, syntax.TargetNode);
        if (problem is not null) Report(KernelDiagnostics.InvalidKernel, location, method.Name, problem);

        var containing = new List<ContainingType>();
        bool launchable = problem is null;
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            bool partial = type.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial || type.IsGenericType || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            {
                Report(KernelDiagnostics.ContainingTypeNotPartial, location, type.Name, method.Name);
                launchable = false;
            }
            containing.Insert(0, new ContainingType(Keyword(type), type.Name, type.IsStatic));
        }

        var parameters = new List<ParameterModel>();
        foreach (var parameter in method.Parameters)
        {
            var parameterModel = Parameter(parameter, known);
            if (parameterModel is null)
            {
                Report(KernelDiagnostics.UnsupportedParameter, parameter.Locations.FirstOrDefault() ?? location,
                    parameter.Name, parameter.Type.ToDisplayString());
                launchable = false;
            }
            else
            {
                parameters.Add(parameterModel);
            }
        }
        if (compilation.Options is CSharpCompilationOptions { AllowUnsafe: false })
        {
            Report(KernelDiagnostics.RequiresUnsafe, location, method.Name);
            launchable = false;
        }

        string entryPoint = CNames.Prefix + CNames.Mangle(method.Name);
        string title = method.ContainingType.ToDisplayString() + "." + method.Name;
        string openCL = "", cuda = "";
        bool barriers = false;
        int sharedBytes = 0;
        if (problem is null)
        {
            var openCLSession = new TranslationSession(compilation, known, OpenCLDialect.Instance);
            openCL = openCLSession.TranslateKernel(method, syntax.TargetNode, entryPoint, title);
            diagnostics.AddRange(openCLSession.Diagnostics);
            var cudaSession = new TranslationSession(compilation, known, CudaDialect.Instance);
            cuda = cudaSession.TranslateKernel(method, syntax.TargetNode, entryPoint, title);
            barriers = openCLSession.UsesBarriers;
            sharedBytes = openCLSession.SharedMemoryBytes;
        }

        var ns = method.ContainingNamespace;
        return new KernelModel(
            ns is null || ns.IsGlobalNamespace ? null : ns.ToDisplayString(),
            new EquatableArray<ContainingType>(containing),
            method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            method.Name,
            SyntaxFacts.GetText(method.DeclaredAccessibility),
            new EquatableArray<ParameterModel>(parameters),
            entryPoint,
            openCL,
            cuda,
            barriers,
            sharedBytes,
            launchable,
            location,
            new EquatableArray<DiagnosticModel>(diagnostics));
    }

    private static string? KernelProblem(IMethodSymbol method, SyntaxNode node)
    {
        if (method.MethodKind != MethodKind.Ordinary) return "local functions and other special methods cannot be kernels";
        if (!method.IsStatic) return "it is not static";
        if (!method.ReturnsVoid) return "it returns a value (kernels write their results to views)";
        if (method.IsGenericMethod) return "it is generic (write one kernel per element type)";
        if (method.IsAsync) return "it is async";
        if (node is MethodDeclarationSyntax { Body: null, ExpressionBody: null }) return "it has no body";
        return null;
    }

    private static ParameterModel? Parameter(IParameterSymbol parameter, KnownSymbols known)
    {
        if (parameter.RefKind != RefKind.None || parameter.IsParams) return null;
        bool view = known.IsView(parameter.Type);
        var kind = ScalarKinds.Of(view ? KnownSymbols.ElementOf(parameter.Type) : parameter.Type);
        return kind is null or ScalarKind.Bool ? null : new ParameterModel(parameter.Name, view, kind.Value);
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static void Write(SourceProductionContext output, ImmutableArray<KernelModel> models)
    {
        var reported = new HashSet<DiagnosticModel>();
        foreach (var model in models)
        foreach (var diagnostic in model.Diagnostics)
            if (reported.Add(diagnostic)) output.ReportDiagnostic(diagnostic.ToDiagnostic());

        foreach (var group in models.Where(m => m.CanEmitLaunchers).GroupBy(m => m.QualifiedTypeName))
        {
            // Overloads would give two launcher classes of the same name: keep the first, report the others.
            var kernels = new List<KernelModel>();
            foreach (var kernel in group)
            {
                if (kernels.Any(k => k.MethodName == kernel.MethodName))
                    output.ReportDiagnostic(Diagnostic.Create(KernelDiagnostics.InvalidKernel, kernel.Location, kernel.MethodName,
                        "another kernel in this type has the same name (kernels cannot be overloaded)"));
                else
                    kernels.Add(kernel);
            }
            string hint = group.Key.Replace("global::", "").Replace('<', '_').Replace('>', '_') + ".Kernels.g.cs";
            output.AddSource(hint, LauncherWriter.Write(kernels));
        }
    }
}

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gpt.Docs.Tests;

/// <summary>
/// The C# blocks of a Markdown file as one program: the blocks are read in order as one walk-through, their top-level
/// statements run in sequence (a later block may use what an earlier one declared), their type declarations and using
/// directives are gathered beside them.
/// </summary>
internal static partial class Snippets
{
    [GeneratedRegex(@"^```csharp[^\n]*\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    /// <summary>The ```csharp blocks of <paramref name="markdown"/>, in order.</summary>
    public static IReadOnlyList<string> Blocks(string markdown) =>
        CSharpBlock().Matches(markdown).Select(m => m.Groups["code"].Value).ToList();

    /// <summary>Compiles the blocks as one console program against the framework and the assemblies beside the tests.</summary>
    /// <returns>The program's image, or the compiler's errors.</returns>
    public static (byte[]? Image, IReadOnlyList<string> Errors) Compile(IReadOnlyList<string> blocks, string name)
    {
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var statements = new List<string>();
        var types = new List<string>();
        var options = new CSharpParseOptions(LanguageVersion.Preview);
        foreach (string block in blocks)
        {
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block, options).GetRoot();
            foreach (var u in root.Usings) usings.Add(u.ToString());
            foreach (var member in root.Members)
                (member is GlobalStatementSyntax ? statements : types).Add(member.ToFullString());
        }

        string program = string.Join("\n", usings) + "\n" + string.Join("\n", statements);
        string declarations = string.Join("\n", usings) + "\n" + string.Join("\n", types);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(program, options, path: $"{name}.Program.cs"),
            CSharpSyntaxTree.ParseText(declarations, options, path: $"{name}.Types.cs"),
            CSharpSyntaxTree.ParseText(ImplicitUsings, options, path: "ImplicitUsings.cs"),
        };
        // The framework, and every assembly beside the tests (the SDK and the packages a reader would reference).
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var references = platform.Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(path => !Path.GetFileName(path).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .DistinctBy(Path.GetFileName)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(name, trees, references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        return (result.Success ? image.ToArray() : null, errors);
    }

    // What `<ImplicitUsings>enable</ImplicitUsings>` gives a console app, which is what a reader pastes the snippets into.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;
}

/// <summary>Runs a compiled snippet program in this process, in a folder of its own, with its console output captured.</summary>
internal static class SnippetRunner
{
    public static async Task<string> RunAsync(byte[] image, string workingDirectory, TimeSpan timeout)
    {
        var assembly = System.Reflection.Assembly.Load(image);
        var entry = assembly.EntryPoint ?? throw new InvalidOperationException("the snippets compiled to no entry point.");
        string previousDirectory = Environment.CurrentDirectory;
        var previousOut = Console.Out;
        var output = new StringWriter();
        Environment.CurrentDirectory = workingDirectory;
        Console.SetOut(TextWriter.Synchronized(output));
        try
        {
            object? result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
            if (result is Task task) await task.WaitAsync(timeout);
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.CurrentDirectory = previousDirectory;
        }

        return output.ToString();
    }
}

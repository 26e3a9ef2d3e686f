using Microsoft.CodeAnalysis;

namespace Gpt.Kernels.Generator.Tests;

/// <summary>Each construct outside the kernel subset gives its GPTK diagnostic at the line marked <c>/*!*/</c>,
/// and only that diagnostic: never a silent miscompile.</summary>
public class DiagnosticTests
{
    /// <summary>Expected id, kernel body (after <c>int i = Grid.GlobalIndex.X;</c>), helpers.</summary>
    public static TheoryData<string, string, string> Unsupported => new()
    {
        { "GPTK004", "double d = 1.0; /*!*/", "" },
        { "GPTK004", "x[i] = (float)(x[i] * 0.5); /*!*/", "" },
        { "GPTK004", "char c = 'a'; /*!*/", "" },
        { "GPTK004", "var index = Grid.GlobalIndex; /*!*/", "" },
        { "GPTK005", "var foo = new Foo(); /*!*/", "" },
        { "GPTK005", "new Foo(); /*!*/", "" },
        { "GPTK005", "object boxed = new Foo(); /*!*/", "" },
        { "GPTK006", "float[] scratch = new float[n]; /*!*/", "" },
        { "GPTK007", "x[i] = Foo.Shared.Get(); /*!*/", "" },
        { "GPTK007", "x[i] = ((IFoo)null!).Get(); /*!*/", "" },
        { "GPTK008", "x[i] = (float)System.Math.Exp(x[i]); /*!*/", "" },
        { "GPTK008", "System.Console.WriteLine(i); /*!*/", "" },
        { "GPTK008", "x[i] = x[i].CompareTo(0f); /*!*/", "" },
        { "GPTK009", "x[i] = Enumerable.Range(0, n).Sum(); /*!*/", "" },
        { "GPTK009", "var squares = from v in Enumerable.Range(0, n) select v * v; /*!*/", "" },
        { "GPTK010", "string s = \"kernel\"; /*!*/", "" },
        { "GPTK010", "var text = $\"{i}\"; /*!*/", "" },
        { "GPTK011", "x[i] = Factorial(n);", "private static int Factorial(int k) => k <= 1 ? 1 : k * Factorial(k - 1); /*!*/" },
        { "GPTK011", "Run(x, counts, n); /*!*/", "" },
        { "GPTK011", "x[i] = Ping(n);", "private static int Ping(int k) => Pong(k);\nprivate static int Pong(int k) => Ping(k); /*!*/" },
        { "GPTK012", "try /*!*/\n{ x[i] = 1f; }\ncatch { }", "" },
        { "GPTK012", "if (i > n) throw new System.InvalidOperationException(); /*!*/", "" },
        { "GPTK013", "System.Func<float, float> twice = v => 2 * v; /*!*/", "" },
        { "GPTK013", "int Twice(int v) => 2 * v; /*!*/", "" },
        { "GPTK014", "foreach (var v in Enumerable.Range(0, n)) /*!*/\n{ x[i] += v; }", "" },
        { "GPTK014", "switch (n) /*!*/\n{ case 1: x[i] = 1f; break; }", "" },
        { "GPTK014", "goto end; /*!*/\nend: x[i] = 0f;", "" },
        { "GPTK014", "lock (Foo.Shared) /*!*/\n{ x[i] = 0f; }", "" },
        { "GPTK014", "checked /*!*/\n{ x[i] = n; }", "" },
        { "GPTK015", "bool three = i is 3; /*!*/", "" },
        { "GPTK015", "x[i] = checked(n * 2); /*!*/", "" },
        { "GPTK015", "x[i] = typeof(int) == null ? 1f : 0f; /*!*/", "" },
        { "GPTK016", "if (i == 0) { var tile = SharedMemory.Allocate<float>(16); /*!*/\n }", "" },
        { "GPTK016", "var tile = SharedMemory.Allocate<float>(n); /*!*/", "" },
        { "GPTK016", "x[i] = Shared();", "private static float Shared() { var tile = SharedMemory.Allocate<float>(4); /*!*/\n return tile[0]; }" },
        { "GPTK017", "x = x.SubView(1, 2); /*!*/", "" },
        { "GPTK017", "var tile = SharedMemory.Allocate<float>(4);\nx[i] = Sum(tile); /*!*/", "private static float Sum(ArrayView<float> v) => v[0];" },
        { "GPTK018", "ref float r = ref x[i]; /*!*/", "" },
        { "GPTK019", "x[i] = Foo.Factor; /*!*/", "" },
        { "GPTK020", "x[i] = Half(1.0); /*!*/", "private static float Half(double v) => 0f;" },
        { "GPTK020", "x[i] = Bump(ref n); /*!*/", "private static float Bump(ref int v) => v;" },
        { "GPTK021", "float local = 0f;\nAtomic.Add(ref local, 1f); /*!*/", "" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void UnsupportedConstruct_IsReportedAtItsLine(string id, string body, string helpers)
    {
        string source = Samples.Kernel(body, helpers);

        var run = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(MarkedLine(source), diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(run.CompileDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Messages_SayWhatIsNotSupportedAndWhatToDo()
    {
        string Message(string body) => Assert.Single(GeneratorHarness.Run(Samples.Kernel(body)).Diagnostics).GetMessage();

        Assert.Contains("use KernelMath.Exp", Message("x[i] = (float)System.Math.Exp(x[i]);"));
        Assert.Contains("use float", Message("double d = 1.0;"));
        Assert.Contains("'new Foo()' creates an object", Message("var foo = new Foo();"));
        Assert.Contains("'try' is not supported in kernels", Message("try { x[i] = 1f; } catch { }"));
        Assert.Contains("'foreach' statements are not supported", Message("foreach (var v in Enumerable.Range(0, n)) { }"));
        Assert.Contains("Samples.Foo.Get()", Message("x[i] = Foo.Shared.Get();"));
    }

    /// <summary>Kernel-level problems, reported at the kernel's name.</summary>
    public static TheoryData<string, string> KernelProblems => new()
    {
        { "GPTK001", "[Kernel] public void /*!*/Instance(ArrayView<float> x) { }" },
        { "GPTK001", "[Kernel] public static int /*!*/Value(ArrayView<float> x) => 0;" },
        { "GPTK001", "[Kernel] public static void /*!*/Generic<T>(ArrayView<float> x) { }" },
        { "GPTK003", "[Kernel] public static void Texts(string /*!*/text) { }" },
        { "GPTK003", "[Kernel] public static void Doubles(ArrayView<double> /*!*/values) { }" },
        { "GPTK003", "[Kernel] public static void Flags(bool /*!*/flag) { }" },
        { "GPTK003", "[Kernel] public static void Refs(ref int /*!*/count) { }" },
    };

    [Theory]
    [MemberData(nameof(KernelProblems))]
    public void InvalidKernel_IsReportedAtItsDeclaration(string id, string members)
    {
        string source = Samples.File(members);

        var run = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(MarkedLine(source), diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void KernelInANonPartialClass_IsReported()
    {
        var run = GeneratorHarness.Run("""
            using Gpt.Kernels.Compute;
            public static class Plain
            {
                [Kernel] public static void Fill(ArrayView<float> x) { x[0] = 1f; }
            }
            """);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("GPTK002", diagnostic.Id);
        Assert.Equal(3, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("'Plain' must be a non-generic partial class", diagnostic.GetMessage());
    }

    [Fact]
    public void OverloadedKernels_AreReported()
    {
        var run = GeneratorHarness.Run(Samples.File("""
                [Kernel] public static void Fill(ArrayView<float> x) { x[0] = 1f; }
                [Kernel] public static void Fill(ArrayView<int> x) { x[0] = 1; } /*!*/
            """));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("GPTK001", diagnostic.Id);
        Assert.Contains("same name", diagnostic.GetMessage());
        Assert.Empty(run.CompileDiagnostics);
    }

    [Fact]
    public void ProjectWithoutUnsafe_IsReported()
    {
        var run = GeneratorHarness.Run(Samples.Kernel("x[i] = 1f;"), allowUnsafe: false);

        Assert.Equal("GPTK022", Assert.Single(run.Diagnostics).Id);
    }

    [Fact]
    public void HelperUsedTwice_IsReportedOnce()
    {
        var run = GeneratorHarness.Run(Samples.File("""
                [Kernel] public static void A(ArrayView<float> x) { x[0] = Bad(); }
                [Kernel] public static void B(ArrayView<float> x) { x[0] = Bad() + Bad(); }
                private static float Bad() => (float)System.Math.Sqrt(2); /*!*/
            """));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("GPTK008", diagnostic.Id);
    }

    private static int MarkedLine(string source)
    {
        string[] lines = source.Split('\n');
        int line = Array.FindIndex(lines, l => l.Contains("/*!*/", StringComparison.Ordinal));
        Assert.True(line >= 0, "The sample marks no line with /*!*/.");
        return line;
    }
}

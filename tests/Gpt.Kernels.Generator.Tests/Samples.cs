namespace Gpt.Kernels.Generator.Tests;

/// <summary>Kernel source text for the generator tests: members placed in <c>public static partial class K</c>.</summary>
public static class Samples
{
    /// <summary>The line before the first member line, so a member's line n (0-based) is file line n + this.</summary>
    public const int MembersStartLine = 6;

    /// <summary>Wraps class members into a whole file.</summary>
    public static string File(string members) => $$"""
        using System.Linq;
        using Gpt.Kernels.Compute;
        namespace Samples;
        public class Foo { public virtual int Get() => 1; public static Foo Shared = new(); public static float Factor = 2f; }
        public interface IFoo { int Get(); }
        public static partial class K
        {
        {{members}}
        }
        """;

    /// <summary>A file with one kernel <c>Run(ArrayView&lt;float&gt; x, ArrayView&lt;int&gt; counts, int n)</c> whose body
    /// starts with <c>int i = Grid.GlobalIndex.X;</c>, followed by <paramref name="body"/>, plus <paramref name="helpers"/>.</summary>
    public static string Kernel(string body, string helpers = "") => File($$"""
            [Kernel]
            public static void Run(ArrayView<float> x, ArrayView<int> counts, int n)
            {
                int i = Grid.GlobalIndex.X;
        {{body}}
            }
        {{helpers}}
        """);
}

using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

/// <summary>The decoding path of the CPU GEMM: m ≤ 8 rows against weights stored [n, k].</summary>
public class SkinnyGemmTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 4, 5, 7, 8 })
        foreach (var (n, k) in new[] { (1, 1), (3, 7), (17, 33), (40, 768), (2305, 65) })
            shapes.Add(m, n, k);
        return shapes;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MatchesReferenceWithBiasAndBeta(int m, int n, int k)
    {
        float[] a = TestData.Uniform(m * k, m + n, 1f), b = TestData.Uniform(n * k, k, 1f), bias = TestData.Uniform(n, 3);
        float[] fast = TestData.Uniform(m * n, 4), reference = (float[])fast.Clone();
        CpuGemm.MatMul(a, b, fast, m, n, k, transA: false, transB: true, alpha: 0.5f, beta: 0.25f, bias: bias);
        GemmKernels.MatMul(a, b, reference, m, n, k, false, true, 0.5f, 0.25f, bias);
        // Sums of k products of values in [-1, 1], in another order: a few ulps of sqrt(k)-sized sums.
        TestData.Close(reference, fast, 1e-5f, 2e-6f * k);
    }

    [Fact]
    public void BatchRowsDoNotChangeEachOthersResults()
    {
        const int n = 300, k = 768;
        float[] a = TestData.Uniform(8 * k, 1), b = TestData.Uniform(n * k, 2);
        var all = new float[8 * n];
        CpuGemm.MatMul(a, b, all, 8, n, k, false, true);
        var again = new float[8 * n];
        CpuGemm.MatMul(a, b, again, 8, n, k, false, true);
        TestData.BitEqual(all, again);
        var first = new float[4 * n];
        CpuGemm.MatMul(a.AsSpan(0, 4 * k), b, first, 4, n, k, false, true);
        TestData.BitEqual(all.AsSpan(0, 4 * n), first);
    }
}

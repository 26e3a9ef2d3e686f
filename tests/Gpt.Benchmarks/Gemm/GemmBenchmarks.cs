using BenchmarkDotNet.Attributes;
using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Benchmarks.Gemm;

/// <summary>BenchmarkDotNet view of CpuGemm at the GPT-2 small Linear layer shapes (B*T = 256):
/// <c>--filter '*GemmBenchmarks*'</c>. For the comparison with OpenBLAS use <c>gemm-vs-openblas</c>.</summary>
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>Output features of the layer (n); the input has 768 features (k) and 256 rows (m).</summary>
    [Params(768, 2304, 3072)]
    public int N { get; set; }

    /// <summary>Whether the weight is stored [n, k], as in Linear's forward pass.</summary>
    [Params(false, true)]
    public bool TransB { get; set; }

    private const int M = 256, K = 768;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1234);
        _a = new float[M * K];
        _b = new float[K * N];
        _c = new float[M * N];
        for (int i = 0; i < _a.Length; i++) _a[i] = random.NextSingle() - 0.5f;
        for (int i = 0; i < _b.Length; i++) _b[i] = random.NextSingle() - 0.5f;
    }

    [Benchmark]
    public void MatMul() => CpuGemm.MatMul(_a, _b, _c, M, N, K, transB: TransB);
}

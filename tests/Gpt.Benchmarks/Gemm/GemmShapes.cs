namespace Gpt.Benchmarks.Gemm;

/// <summary>One matrix multiply as the model calls it: C[M, N] = op(A)[M, K] op(B)[K, N] + Beta * C.</summary>
/// <param name="Use">Where the model makes this call.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="TransA">A stored [K, M].</param>
/// <param name="TransB">B stored [N, K].</param>
/// <param name="Beta">0 overwrites C (forward); 1 accumulates into it (the backward products).</param>
internal sealed record GemmShape(string Use, int M, int N, int K, bool TransA = false, bool TransB = false, float Beta = 0f)
{
    /// <summary>2*M*N*K: one multiply and one add per term.</summary>
    public double Flops => 2.0 * M * N * K;
}

/// <summary>The GEMMs GPT-2 124M makes, from <c>LinearOp</c>: forward (rows, out) = (rows, in) · (out, in)ᵀ,
/// dInput (rows, in) += (rows, out) · (out, in), dWeight (out, in) += (rows, out)ᵀ · (rows, in).</summary>
internal static class GemmShapes
{
    // (name, in, out) of every Linear of GPT-2 124M (d = 768, vocabulary 50257).
    private static readonly (string Name, int In, int Out)[] Layers =
    [
        ("c_attn", 768, 2304), ("attn c_proj", 768, 768), ("c_fc", 768, 3072), ("mlp c_proj", 3072, 768), ("lm head", 768, 50257),
    ];

    /// <summary>Training at B*T = 256 and 512 (each layer's three products), then decoding at batch 1
    /// and 8 (the skinny path), then the no-transpose shapes `gpt bench gemm` has always timed.</summary>
    public static IReadOnlyList<GemmShape> All { get; } = Build();

    private static List<GemmShape> Build()
    {
        var shapes = new List<GemmShape>();
        foreach (int rows in (int[])[256, 512])
        {
            foreach (var (name, inFeatures, outFeatures) in Layers)
            {
                shapes.Add(new($"{name} forward, B*T={rows}", rows, outFeatures, inFeatures, TransB: true));
                shapes.Add(new($"{name} dInput, B*T={rows}", rows, inFeatures, outFeatures, Beta: 1f));
                shapes.Add(new($"{name} dWeight, B*T={rows}", outFeatures, inFeatures, rows, TransA: true, Beta: 1f));
            }
        }
        foreach (int batch in (int[])[1, 8])
        {
            foreach (var (name, inFeatures, outFeatures) in Layers)
            {
                shapes.Add(new($"{name} decode, batch {batch}", batch, outFeatures, inFeatures, TransB: true));
            }
        }
        foreach (var (m, k, n) in (ReadOnlySpan<(int, int, int)>)[(256, 768, 2304), (256, 768, 768), (256, 3072, 768), (256, 768, 3072), (1024, 1024, 1024)])
        {
            shapes.Add(new("bench gemm", m, n, k));
        }
        return shapes;
    }
}

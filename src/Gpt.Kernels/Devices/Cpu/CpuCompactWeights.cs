using Gpt.Kernels.Devices.Cpu.Gemm;
using Gpt.Kernels.Quantization;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// The CPU ops on compact (bf16 or int8) weights: a linear layer's product and the embedding lookup, with the checks
/// every op makes at the door. The kernels are <see cref="CompactGemm"/> and <see cref="CompactRows"/>.
/// </summary>
internal static unsafe class CpuCompactWeights
{
    private const int EmbeddingGrain = 1 << 15;

    private struct EmbeddingJob
    {
        public int* Ids;
        public float* Output;
        public CompactRows Table;
        public int Dim;
    }

    /// <summary>C (m, n) = A (m, k) · Wᵀ (+ bias), W (n, k) as bf16 bits.</summary>
    public static void MatMulBf16(ReadOnlySpan<float> a, ReadOnlySpan<ushort> weight, Span<float> c, int m, int n, int k, ReadOnlySpan<float> bias)
    {
        GemmKernels.Validate(a.Length, weight.Length, c.Length, bias.Length, 1, m, n, k);
        fixed (float* pa = a, pc = c, pbias = bias)
        fixed (ushort* pw = weight)
        {
            CompactGemm.Run(pa, CompactRows.BFloat16(pw, k), pc, bias.IsEmpty ? null : pbias, m, n, k);
        }
    }

    /// <summary>C (m, n) = A (m, k) · Wᵀ (+ bias), W (n, k) as <see cref="Q8Blocks"/> values and fp32 block scales.</summary>
    public static void MatMulQ8(ReadOnlySpan<float> a, ReadOnlySpan<sbyte> weight, ReadOnlySpan<float> scales, Span<float> c, int m, int n, int k,
        ReadOnlySpan<float> bias)
    {
        GemmKernels.Validate(a.Length, weight.Length, c.Length, bias.Length, 1, m, n, k);
        CheckScales(weight.Length, scales.Length, k, nameof(weight));
        fixed (float* pa = a, pc = c, pbias = bias)
        fixed (sbyte* pw = weight)
        fixed (float* ps = scales)
        {
            CompactGemm.Run(pa, CompactRows.Q8(pw, ps, k), pc, bias.IsEmpty ? null : pbias, m, n, k);
        }
    }

    /// <summary>output (count, dim) = table[ids], the table (rows, dim) as bf16 bits.</summary>
    public static void EmbeddingBf16(ReadOnlySpan<int> ids, ReadOnlySpan<ushort> table, Span<float> output, int count, int dim, int tableRows)
    {
        KernelGuards.EmbeddingForward(ids, table.Length, output.Length, count, dim, tableRows);
        fixed (int* pi = ids)
        fixed (ushort* pt = table)
        fixed (float* po = output)
        {
            Lookup(pi, CompactRows.BFloat16(pt, dim), po, count, dim);
        }
    }

    /// <summary>output (count, dim) = table[ids], the table (rows, dim) as <see cref="Q8Blocks"/> values and fp32 block scales.</summary>
    public static void EmbeddingQ8(ReadOnlySpan<int> ids, ReadOnlySpan<sbyte> table, ReadOnlySpan<float> scales, Span<float> output, int count, int dim,
        int tableRows)
    {
        KernelGuards.EmbeddingForward(ids, table.Length, output.Length, count, dim, tableRows);
        CheckScales(table.Length, scales.Length, dim, nameof(table));
        fixed (int* pi = ids)
        fixed (sbyte* pt = table)
        fixed (float* ps = scales)
        fixed (float* po = output)
        {
            Lookup(pi, CompactRows.Q8(pt, ps, dim), po, count, dim);
        }
    }

    private static void Lookup(int* ids, CompactRows table, float* output, int count, int dim)
    {
        if (dim == 0 || count == 0) return;
        var job = new EmbeddingJob { Ids = ids, Output = output, Table = table, Dim = dim };
        CpuRanges.For(count, Math.Max(1, EmbeddingGrain / dim), &job, &LookupRows);
    }

    private static void LookupRows(void* state, int start, int count)
    {
        ref EmbeddingJob job = ref CpuParallel.State<EmbeddingJob>(state);
        for (int i = start; i < start + count; i++) job.Table.Expand(job.Ids[i], 0, job.Dim, job.Output + (long)i * job.Dim);
    }

    private static void CheckScales(int valueCount, int scaleCount, int rowLength, string name)
    {
        if (rowLength % Q8Blocks.BlockSize != 0)
            throw new ArgumentException($"int8 rows of {rowLength} values are not whole blocks of {Q8Blocks.BlockSize}; such a matrix cannot be held as int8.", name);
        if (scaleCount != valueCount / Q8Blocks.BlockSize)
            throw new ArgumentException($"{valueCount} int8 values need {valueCount / Q8Blocks.BlockSize} block scales; got {scaleCount}.", "scales");
    }
}

using Gpt.Kernels.Devices;
using Gpt.Kernels.Quantization;

namespace Gpt.Kernels.Tests;

/// <summary>
/// Products and lookups on compact (bf16, int8) weights against the fp32 GEMM and lookup on the same weights expanded:
/// one row (decoding one sequence, dotted from the compact values), a few rows (batched decoding), and many rows (prefill,
/// through the packed GEMM whose B panels are expanded while packed), at ragged sizes.
/// </summary>
public sealed class CompactWeightsGemmTests
{
    private static readonly Device Cpu = Device.Cpu;

    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 5, 8, 9, 13, 64, 300 })
        foreach (var (n, k) in new[] { (1, 32), (17, 64), (40, 768), (2305, 96), (65, 3072) })
            shapes.Add(m, n, k);
        return shapes;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Int8EqualsFp32GemmOnDequantizedWeights(int m, int n, int k)
    {
        float[] a = TestData.Uniform(m * k, m + n), w = TestData.Uniform(n * k, k + 1), bias = TestData.Uniform(n, 3);
        var (q, scales) = Quantize(w);
        var expanded = new float[w.Length];
        Q8Blocks.Dequantize(q, scales, expanded);
        foreach (bool withBias in new[] { false, true })
        {
            float[] expected = Fp32(a, expanded, withBias ? bias : null, m, n, k);
            using var qa = Upload(a);
            using var qw = Upload(q);
            using var qs = Upload(Widen(scales));
            using var qb = Upload(bias);
            using var c = Cpu.Allocate<float>(m * n);
            Cpu.MatMulQ8(All(qa), All(qw), All(qs), All(c), m, n, k, withBias ? All(qb) : Slice<float>.Empty);
            AssertMatches(expected, Download(c), m, k);
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Bf16EqualsFp32GemmOnExpandedWeights(int m, int n, int k) => CheckBf16(m, n, k);

    [Theory]
    [InlineData(1, 7, 7)]
    [InlineData(3, 33, 65)]
    [InlineData(20, 19, 129)]
    public void Bf16TakesRaggedWidths(int m, int n, int k) => CheckBf16(m, n, k);

    [Fact]
    public void ResultsDoNotDependOnOtherRowsOfTheBatch()
    {
        const int n = 300, k = 768;
        float[] a = TestData.Uniform(8 * k, 1), w = TestData.Uniform(n * k, 2);
        var (q, scales) = Quantize(w);
        using var qa = Upload(a);
        using var qw = Upload(q);
        using var qs = Upload(Widen(scales));
        using var all = Cpu.Allocate<float>(8 * n);
        using var again = Cpu.Allocate<float>(8 * n);
        Cpu.MatMulQ8(All(qa), All(qw), All(qs), All(all), 8, n, k, Slice<float>.Empty);
        Cpu.MatMulQ8(All(qa), All(qw), All(qs), All(again), 8, n, k, Slice<float>.Empty);
        TestData.BitEqual(Download(all), Download(again));
        using var first = Cpu.Allocate<float>(4 * n);
        Cpu.MatMulQ8(new Slice<float>(qa, 0, 4 * k), All(qw), All(qs), All(first), 4, n, k, Slice<float>.Empty);
        TestData.BitEqual(Download(all).AsSpan(0, 4 * n), Download(first));
    }

    // Decoding one sequence dots four weight rows at a time (and the rest one by one): a row's sum must be the same
    // bits whichever way it was reached, or a request's tokens would depend on the matrix around its row.
    // k = 4128 is 129 blocks, an odd block at the end of each row; 170 rows make items of 21 (five groups and a row).
    [Theory]
    [InlineData(13, 96)]
    [InlineData(170, 64)]
    [InlineData(9, 768)]
    [InlineData(6, 4128)]
    public void OneRowSumsDoNotDependOnTheRowsBesideThem(int n, int k)
    {
        float[] a = TestData.Uniform(k, 5), w = TestData.Uniform(n * k, 6);
        var (q, scales) = Quantize(w);
        ushort[] bf16 = ToBf16(w);
        using var qa = Upload(a);
        using var qw = Upload(q);
        using var qs = Upload(Widen(scales));
        using var bw = Upload(bf16);
        using var together = Cpu.Allocate<float>(n);
        using var alone = Cpu.Allocate<float>(1);
        int blocks = k / Q8Blocks.BlockSize;
        Cpu.MatMulQ8(All(qa), All(qw), All(qs), All(together), 1, n, k, Slice<float>.Empty);
        float[] q8Together = Download(together);
        Cpu.MatMulBf16(All(qa), All(bw), All(together), 1, n, k, Slice<float>.Empty);
        float[] bf16Together = Download(together);
        for (int j = 0; j < n; j++)
        {
            Cpu.MatMulQ8(All(qa), new Slice<sbyte>(qw, j * k, k), new Slice<float>(qs, j * blocks, blocks), All(alone), 1, 1, k, Slice<float>.Empty);
            TestData.BitEqual(q8Together.AsSpan(j, 1), Download(alone));
            Cpu.MatMulBf16(All(qa), new Slice<ushort>(bw, j * k, k), All(alone), 1, 1, k, Slice<float>.Empty);
            TestData.BitEqual(bf16Together.AsSpan(j, 1), Download(alone));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public void ZeroAndSubnormalScalesAreExact(int m)
    {
        const int n = 5, k = 96;
        float[] a = TestData.Uniform(m * k, 7), w = TestData.Uniform(n * k, 8);
        for (int i = 0; i < 32; i++) w[i] = 0f;                            // a zero block: scale 0
        for (int i = 32; i < 64; i++) w[i] *= 1e-4f;                       // scale about 8e-7: a subnormal fp16
        for (int i = k; i < k + 32; i++) w[i] *= 1e-9f;                    // a scale that rounds to zero in fp16
        var (q, scales) = Quantize(w);
        Assert.True(Half.IsSubnormal(scales[1]));
        var expanded = new float[w.Length];
        Q8Blocks.Dequantize(q, scales, expanded);
        float[] expected = Fp32(a, expanded, null, m, n, k);
        using var qa = Upload(a);
        using var qw = Upload(q);
        using var qs = Upload(Widen(scales));
        using var c = Cpu.Allocate<float>(m * n);
        Cpu.MatMulQ8(All(qa), All(qw), All(qs), All(c), m, n, k, Slice<float>.Empty);
        AssertMatches(expected, Download(c), m, k);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(768)]
    public void EmbeddingLookupsExpandRowsExactly(int dim)
    {
        const int rows = 50;
        int[] ids = [0, 49, 7, 7, 23, 1];
        float[] table = TestData.Uniform(rows * dim, dim);
        var (q, scales) = Quantize(table);
        var expandedQ8 = new float[table.Length];
        Q8Blocks.Dequantize(q, scales, expandedQ8);
        ushort[] bf16 = ToBf16(table);
        float[] expandedBf16 = FromBf16(bf16);

        using var id = Upload(ids);
        using var qt = Upload(q);
        using var qs = Upload(Widen(scales));
        using var bt = Upload(bf16);
        using var output = Cpu.Allocate<float>(ids.Length * dim);
        Cpu.EmbeddingForwardQ8(All(id), All(qt), All(qs), All(output), ids.Length, dim, rows);
        TestData.BitEqual(Gather(expandedQ8, ids, dim), Download(output));
        Cpu.EmbeddingForwardBf16(All(id), All(bt), All(output), ids.Length, dim, rows);
        TestData.BitEqual(Gather(expandedBf16, ids, dim), Download(output));
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        using var a = Cpu.Allocate<float>(2 * 48);
        using var w = Cpu.Allocate<sbyte>(4 * 48);
        using var s = Cpu.Allocate<float>(6);
        using var c = Cpu.Allocate<float>(8);
        // Rows of 48 are not whole blocks of 32.
        var partial = Assert.Throws<ArgumentException>(() => Cpu.MatMulQ8(All(a), All(w), All(s), All(c), 2, 4, 48, Slice<float>.Empty));
        Assert.Contains("blocks of 32", partial.Message);
        using var w64 = Cpu.Allocate<sbyte>(4 * 64);
        using var a64 = Cpu.Allocate<float>(2 * 64);
        var scales = Assert.Throws<ArgumentException>(() => Cpu.MatMulQ8(All(a64), All(w64), All(s), All(c), 2, 4, 64, Slice<float>.Empty));
        Assert.Contains("block scales", scales.Message);
        using var bf = Cpu.Allocate<ushort>(3 * 64);
        Assert.Throws<ArgumentException>(() => Cpu.MatMulBf16(All(a64), All(bf), All(c), 2, 4, 64, Slice<float>.Empty));
        using var ids = Upload(new[] { 0, 4 });
        using var table = Cpu.Allocate<ushort>(4 * 64);
        using var output = Cpu.Allocate<float>(2 * 64);
        Assert.ThrowsAny<ArgumentException>(() => Cpu.EmbeddingForwardBf16(All(ids), All(table), All(output), 2, 64, 4));
    }

    private static void CheckBf16(int m, int n, int k)
    {
        float[] a = TestData.Uniform(m * k, m + n), w = TestData.Uniform(n * k, k + 2), bias = TestData.Uniform(n, 5);
        ushort[] bits = ToBf16(w);
        float[] expected = Fp32(a, FromBf16(bits), bias, m, n, k);
        using var ba = Upload(a);
        using var bw = Upload(bits);
        using var bb = Upload(bias);
        using var c = Cpu.Allocate<float>(m * n);
        Cpu.MatMulBf16(All(ba), All(bw), All(c), m, n, k, All(bb));
        AssertMatches(expected, Download(c), m, k);
    }

    // Many rows go through the packed GEMM on expanded panels: the very same sums, so bit-identical. A few rows sum in
    // another order (int8: per-block partial sums scaled once): a few ulps of sqrt(k)-sized sums of products in [-1, 1].
    private static void AssertMatches(float[] expected, float[] actual, int m, int k)
    {
        if (m > 8) TestData.BitEqual(expected, actual);
        else TestData.Close(expected, actual, 1e-5f, 3e-6f * k);
    }

    private static float[] Fp32(float[] a, float[] w, float[]? bias, int m, int n, int k)
    {
        using var da = Upload(a);
        using var dw = Upload(w);
        using var db = Upload(bias ?? [0f]);
        using var c = Cpu.Allocate<float>(m * n);
        Cpu.MatMul(All(da), All(dw), All(c), m, n, k, transA: false, transB: true, 1f, 0f, bias is null ? Slice<float>.Empty : All(db));
        return Download(c);
    }

    // The kernels take the block scales widened to fp32, as CompactMatrix holds them.
    private static float[] Widen(Half[] scales) => scales.Select(d => (float)d).ToArray();

    private static (sbyte[] Values, Half[] Scales) Quantize(float[] w)
    {
        var q = new sbyte[w.Length];
        var scales = new Half[Q8Blocks.BlockCount(w.Length)];
        Q8Blocks.Quantize(w, q, scales);
        return (q, scales);
    }

    // Truncation gives valid bf16 values; the kernels only expand them, so how they were rounded does not matter here.
    private static ushort[] ToBf16(float[] x) => x.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();

    private static float[] FromBf16(ushort[] bits) => bits.Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)).ToArray();

    private static float[] Gather(float[] table, int[] ids, int dim) => ids.SelectMany(id => table.AsSpan(id * dim, dim).ToArray()).ToArray();

    private static DeviceBuffer<T> Upload<T>(T[] values) where T : unmanaged
    {
        var buffer = Cpu.Allocate<T>(values.Length);
        Cpu.Upload<T>(values, All(buffer));
        return buffer;
    }

    private static float[] Download(DeviceBuffer<float> buffer)
    {
        var values = new float[buffer.Length];
        Cpu.Download(All(buffer), values);
        return values;
    }

    private static Slice<T> All<T>(DeviceBuffer<T> buffer) where T : unmanaged => new(buffer, 0, (int)buffer.Length);
}

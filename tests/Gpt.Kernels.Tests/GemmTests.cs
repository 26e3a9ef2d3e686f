using Gpt.Kernels.Devices.Cpu;
using Gpt.Kernels.Devices.Cpu.Gemm;

namespace Gpt.Kernels.Tests;

using Random = System.Random;

public class GemmTests
{
    private static readonly int[] EdgeSizes = [1, 7, 63, 65, 127, 129];

    // ---- The reference against an independent double-precision product ----

    [Fact]
    public void ReferenceMatchesDoublePrecisionProduct()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 40; trial++)
        {
            int m = random.Next(1, 9), n = random.Next(1, 9), k = random.Next(1, 17);
            bool transA = random.Next(2) == 1, transB = random.Next(2) == 1;
            float alpha = random.Next(3) switch { 0 => 1f, 1 => 0.5f, _ => -2f };
            float beta = random.Next(3) switch { 0 => 0f, 1 => 1f, _ => 0.5f };
            float[] a = RandomValues(m * k, random), b = RandomValues(k * n, random), c = RandomValues(m * n, random);
            float[] bias = random.Next(2) == 1 ? RandomValues(n, random) : [];
            float[] expected = new float[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum += (double)a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
                    }
                    sum = alpha * sum + beta * (double)c[i * n + j] + (bias.Length > 0 ? bias[j] : 0);
                    expected[i * n + j] = (float)sum;
                }
            }

            GemmKernels.MatMul(a, b, c, m, n, k, transA, transB, alpha, beta, bias);

            for (int e = 0; e < expected.Length; e++)
            {
                Assert.True(Math.Abs(c[e] - expected[e]) <= 1e-5f * (k + 2),
                    $"trial {trial} ({m}x{n}x{k}, tA={transA}, tB={transB}): element {e} is {c[e]}, double product gives {expected[e]}");
            }
        }
    }

    // ---- The fast path against the reference ----

    public static TheoryData<int, int, int> EdgeShapes()
    {
        // Every edge size in every dimension, the other two drawn from the same list.
        var random = new Random(1234);
        var shapes = new TheoryData<int, int, int>();
        foreach (int size in EdgeSizes)
        {
            shapes.Add(size, Pick(random), Pick(random));
            shapes.Add(Pick(random), size, Pick(random));
            shapes.Add(Pick(random), Pick(random), size);
        }
        shapes.Add(1, 127, 65);
        shapes.Add(1, 1000, 100);  // m = 1 split over several threads
        shapes.Add(2, 1, 129);
        shapes.Add(129, 1, 1);
        return shapes;

        static int Pick(Random random) => EdgeSizes[random.Next(EdgeSizes.Length)];
    }

    [Theory]
    [MemberData(nameof(EdgeShapes))]
    public void FastMatchesReferenceForEveryTransposeAndScaling(int m, int n, int k)
    {
        var random = new Random(m * 10007 + n * 101 + k);
        int variant = 0;
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                // Rotate the scalings over the transposes so every shape sees several of them.
                var (alpha, beta, withBias) = Scalings[(m + n + k + variant++) % Scalings.Length];
                CheckAgainstReference(random, m, n, k, transA, transB, alpha, beta, withBias);
            }
        }
    }

    private static readonly (float Alpha, float Beta, bool Bias)[] Scalings =
    [
        (1f, 0f, false), (1f, 1f, true), (0.5f, 0.5f, false), (1f, 0f, true), (0.5f, 1f, false), (1f, 0.5f, true),
    ];

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void FastMatchesReferenceOnALargerProduct(bool transA, bool transB)
    {
        CheckAgainstReference(new Random(1234), 300, 257, 513, transA, transB, 1f, transA ? 1f : 0f, !transB);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void FastMatchesReferenceAcrossRowBlocksAndPartialKBlocks(bool transA, bool transB)
    {
        // 800 rows: taller than one tile (at most 768 rows), so the tall arrangement, with a last row panel of 8
        // (800 = 66 * 12 + 8); k = 520: K blocks of 512 and 8, so packed B holds blocks of different lengths back to
        // back; n = 100: three full column panels and one of 4 that overhangs C.
        CheckAgainstReference(new Random(4321), 800, 100, 520, transA, transB, 1f, transA ? 1f : 0f, transB);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void ChunkedPackingGivesTheSameBits(bool transA, bool transB)
    {
        // Tiny chunk limits split K and the rows into several chunks each; every
        // element must still come out bit-identical to the unchunked product.
        AssertSameBitsUnderPackingLimits(50, 70, 600, transA, transB, new Random(1234), "chunked", (2000, 1));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TallArrangementGivesTheSameBits(bool transA, bool transB)
    {
        // Taller than one tile with a small B: the weight-gradient arrangement (B packed once, rows in per-thread
        // blocks). Rows not a multiple of the micro-tile (800 = 66 * 12 + 8), columns overhanging a panel (700 = 21 * 32
        // + 28) and two K blocks (512 + 88). It must match, bit for bit, the general arrangement with two row blocks in
        // one chunk (a packing limit just below this B's 600 * 704 floats) and with many small chunks, and the
        // reference closely.
        AssertSameBitsUnderPackingLimits(800, 700, 600, transA, transB, new Random(4321), "tall",
            (412_000, PackedGemm.MaxChunkBlocks), (2000, 1));
    }

    // C = 0.5 op(A) op(B) + C + bias through CpuGemm, then through PackedGemm under each (packing, chunk) limit: every
    // result bit-identical to the first, and the first close to the reference.
    private static unsafe void AssertSameBitsUnderPackingLimits(int m, int n, int k, bool transA, bool transB, Random random,
        string label, params (long MaxPackedFloats, int MaxChunkBlocks)[] limits)
    {
        float[] a = RandomValues(m * k, random), b = RandomValues(k * n, random), bias = RandomValues(n, random);
        float[] c = RandomValues(m * n, random), expected = (float[])c.Clone(), reference = (float[])c.Clone();
        float[] magnitude = Magnitudes(a, b, m, n, k, transA, transB, 0.5f);
        for (int i = 0; i < m * n; i++) magnitude[i] += Math.Abs(c[i]) + Math.Abs(bias[i % n]);
        CpuGemm.MatMul(a, b, expected, m, n, k, transA, transB, 0.5f, 1f, bias);
        foreach (var (maxPackedFloats, maxChunkBlocks) in limits)
        {
            float[] limited = (float[])c.Clone();
            fixed (float* pa = a, pb = b, pc = limited, pbias = bias)
            {
                PackedGemm.Run(pa, pb, pc, pbias, m, n, k, transA, transB, 0.5f, 1f, maxPackedFloats, maxChunkBlocks);
            }
            Assert.Equal(expected, limited);
        }

        GemmKernels.MatMul(a, b, reference, m, n, k, transA, transB, 0.5f, 1f, bias);
        AssertClose(reference, expected, magnitude, $"{label} {m}x{n}x{k}, tA={transA}, tB={transB}");
    }

    [Fact]
    public void ZeroBetaIgnoresNaNInC()
    {
        var random = new Random(1234);
        foreach (var (m, n, k) in new[] { (1, 40, 30), (20, 40, 30) })
        {
            float[] a = RandomValues(m * k, random), b = RandomValues(k * n, random);
            float[] fast = Enumerable.Repeat(float.NaN, m * n).ToArray(), reference = new float[m * n];
            CpuGemm.MatMul(a, b, fast, m, n, k);
            GemmKernels.MatMul(a, b, reference, m, n, k);
            AssertClose(reference, fast, Magnitudes(a, b, m, n, k, false, false, 1f), $"{m}x{n}x{k}");
        }
    }

    [Fact]
    public void EmptyInnerDimensionGivesScaledCPlusBias()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] bias = [10f, 20f, 30f];
        CpuGemm.MatMul([], [], c, 2, 3, 0, beta: 0.5f, bias: bias);
        Assert.Equal([10.5f, 21f, 31.5f, 12f, 22.5f, 33f], c);

        float[] overwritten = [float.NaN, 7f];
        CpuGemm.MatMul([], [], overwritten, 1, 2, 0);
        Assert.Equal([0f, 0f], overwritten);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        CpuGemm.MatMul([1f, 2f], [], [], 0, 0, 2);
        CpuGemm.MatMul([], [1f, 2f], [], 0, 2, 1);
        CpuGemm.BatchedMatMul([], [], [], 0, 3, 3, 3);
    }

    // ---- Batched ----

    [Theory]
    [InlineData(5, 7, 9, 11)]       // small products: parallel over the batch
    [InlineData(2, 130, 140, 240)]  // large products: one after another, each parallel
    [InlineData(4, 1, 65, 33)]      // m = 1 products
    public void BatchedMatchesReference(int batch, int m, int n, int k)
    {
        var random = new Random(1234);
        int variant = 0;
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                var (alpha, beta, _) = Scalings[variant++ % Scalings.Length];
                float[] a = RandomValues(batch * m * k, random), b = RandomValues(batch * k * n, random);
                float[] fast = RandomValues(batch * m * n, random), reference = (float[])fast.Clone();
                CpuGemm.BatchedMatMul(a, b, fast, batch, m, n, k, transA, transB, alpha, beta);
                GemmKernels.BatchedMatMul(a, b, reference, batch, m, n, k, transA, transB, alpha, beta);
                for (int i = 0; i < batch; i++)
                {
                    float[] magnitude = Magnitudes(a.AsSpan(i * m * k, m * k).ToArray(), b.AsSpan(i * k * n, k * n).ToArray(),
                        m, n, k, transA, transB, alpha);
                    AssertClose(reference.AsSpan(i * m * n, m * n).ToArray(), fast.AsSpan(i * m * n, m * n).ToArray(), magnitude,
                        $"batch item {i} of {batch}x{m}x{n}x{k}, tA={transA}, tB={transB}");
                }
            }
        }
    }

    // ---- Determinism ----

    [Theory]
    [InlineData(1, 3000, 500)]
    [InlineData(256, 300, 700)]
    public void RepeatedCallsAreBitIdentical(int m, int n, int k)
    {
        var random = new Random(1234);
        float[] a = RandomValues(m * k, random), b = RandomValues(k * n, random), bias = RandomValues(n, random);
        float[] first = new float[m * n], second = new float[m * n];
        CpuGemm.MatMul(a, b, first, m, n, k, transB: true, bias: bias);
        CpuGemm.MatMul(a, b, second, m, n, k, transB: true, bias: bias);
        Assert.Equal(first, second);
    }

    [Fact]
    public void ResultDoesNotDependOnHowWorkIsSplit()
    {
        // A small batch runs each product on one thread; a single call splits it over all threads.
        const int batch = 3, m = 70, n = 90, k = 300;
        var random = new Random(1234);
        float[] a = RandomValues(batch * m * k, random), b = RandomValues(batch * k * n, random);
        float[] batched = new float[batch * m * n];
        CpuGemm.BatchedMatMul(a, b, batched, batch, m, n, k, transA: true);
        for (int i = 0; i < batch; i++)
        {
            float[] single = new float[m * n];
            CpuGemm.MatMul(a.AsSpan(i * m * k, m * k), b.AsSpan(i * k * n, k * n), single, m, n, k, transA: true);
            Assert.Equal(single, batched.AsSpan(i * m * n, m * n).ToArray());
        }
    }

    // ---- Bad input ----

    public delegate void MatMulCall(float[] a, float[] b, float[] c, int m, int n, int k, float[] bias);

    public static TheoryData<string> Implementations() => ["reference", "cpu"];

    private static MatMulCall Implementation(string name) => name == "cpu"
        ? (a, b, c, m, n, k, bias) => CpuGemm.MatMul(a, b, c, m, n, k, bias: bias)
        : (a, b, c, m, n, k, bias) => GemmKernels.MatMul(a, b, c, m, n, k, bias: bias);

    [Theory]
    [MemberData(nameof(Implementations))]
    public void BadInputIsRefusedWithTheArgumentNamed(string name)
    {
        var call = Implementation(name);
        float[] six = new float[6], twelve = new float[12], eight = new float[8];
        // Valid: [2, 3] x [3, 4] -> [2, 4].
        call(six, twelve, eight, 2, 4, 3, []);

        AssertRefused("a", "6", () => call(new float[5], twelve, eight, 2, 4, 3, []));
        AssertRefused("b", "12", () => call(six, new float[11], eight, 2, 4, 3, []));
        AssertRefused("c", "8", () => call(six, twelve, new float[7], 2, 4, 3, []));
        AssertRefused("bias", "3", () => call(six, twelve, eight, 2, 4, 3, new float[3]));
        AssertRefused("m", "-1", () => call(six, twelve, eight, -1, 4, 3, []));
        AssertRefused("n", "-2", () => call(six, twelve, eight, 2, -2, 3, []));
        AssertRefused("k", "-3", () => call(six, twelve, eight, 2, 4, -3, []));
    }

    [Fact]
    public void BadBatchIsRefused()
    {
        float[] a = new float[12], b = new float[24], c = new float[16];
        CpuGemm.BatchedMatMul(a, b, c, 2, 2, 4, 3);
        AssertRefused("batch", "-1", () => CpuGemm.BatchedMatMul(a, b, c, -1, 2, 4, 3));
        AssertRefused("a", "18", () => CpuGemm.BatchedMatMul(a, b, c, 3, 2, 4, 3));
        AssertRefused("c", "16", () => GemmKernels.BatchedMatMul(a, b, new float[15], 2, 2, 4, 3));
    }

    private static void AssertRefused(string parameter, string number, Action call)
    {
        var error = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(number, error.Message);
    }

    // ---- Helpers ----

    private static void CheckAgainstReference(Random random, int m, int n, int k, bool transA, bool transB,
        float alpha, float beta, bool withBias)
    {
        float[] a = RandomValues(m * k, random), b = RandomValues(k * n, random);
        float[] bias = withBias ? RandomValues(n, random) : [];
        float[] fast = RandomValues(m * n, random), reference = (float[])fast.Clone();
        float[] magnitude = Magnitudes(a, b, m, n, k, transA, transB, alpha);
        for (int i = 0; i < m * n; i++) magnitude[i] += Math.Abs(beta * fast[i]) + (withBias ? Math.Abs(bias[i % n]) : 0f);

        CpuGemm.MatMul(a, b, fast, m, n, k, transA, transB, alpha, beta, bias);
        GemmKernels.MatMul(a, b, reference, m, n, k, transA, transB, alpha, beta, bias);

        AssertClose(reference, fast, magnitude,
            $"{m}x{n}x{k}, tA={transA}, tB={transB}, alpha={alpha}, beta={beta}, bias={withBias}");
    }

    // |alpha| * sum_k |a_ik| |b_kj|: the scale of the rounding differences between summation orders.
    private static float[] Magnitudes(float[] a, float[] b, int m, int n, int k, bool transA, bool transB, float alpha)
    {
        float[] absA = a.Select(Math.Abs).ToArray(), absB = b.Select(Math.Abs).ToArray();
        float[] magnitude = new float[m * n];
        GemmKernels.MatMul(absA, absB, magnitude, m, n, k, transA, transB, Math.Abs(alpha));
        return magnitude;
    }

    private static void AssertClose(float[] expected, float[] actual, float[] magnitude, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * magnitude[i] + 1e-6f;
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]}, the reference gives {expected[i]} (tolerance {tolerance})");
            }
        }
    }

    private static float[] RandomValues(int count, Random random)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }
}

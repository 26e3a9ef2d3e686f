using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// Every Device op, written once and run on every device present (<see cref="DeviceUnderTest"/>), compared
/// with the plain scalar references (<c>*Kernels</c>) on seeded random inputs of odd sizes. Tolerances are
/// relative to each element (or, after long sums, to the output's largest magnitude): GPU exp/tanh/sqrt may
/// differ from the CPU's in the last bits, and row reductions add in a different order (trees of threads).
/// </summary>
public sealed class DeviceOpsTests
{
    private static readonly int[] Sizes = [1, 7, 63, 65, 127];

    /// <summary>Elementwise results: a few ulps.</summary>
    private const float Elementwise = 2e-6f;

    /// <summary>Results after a reduction over a row or a column (sums of up to a few hundred terms).</summary>
    private const float Reduced = 2e-5f;

    public static TheoryData<string> Devices() => DeviceUnderTest.Present();

    [Theory]
    [MemberData(nameof(Devices))]
    public void ElementwiseOps(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] a = TestData.Uniform(n, 1, 3f), b = TestData.Uniform(n, 2, 3f), acc = TestData.Uniform(n, 3);
            var expected = new float[n];
            Device d = on.Device;

            ElementwiseKernels.Add(a, b, expected, n);
            Slice<float> output = on.Put(new float[n]);
            d.Add(on.Put(a), on.Put(b), output, n);
            TestData.Close(expected, on.Get(output), Elementwise);

            float[] sum = (float[])acc.Clone();
            ElementwiseKernels.AddInPlace(sum, a, n);
            Slice<float> accumulator = on.Put(acc);
            d.AddInPlace(accumulator, on.Put(a), n);
            TestData.Close(sum, on.Get(accumulator), Elementwise);

            ElementwiseKernels.Scale(a, -0.75f, expected, n);
            d.Scale(on.Put(a), -0.75f, output, n);
            TestData.Close(expected, on.Get(output), Elementwise);

            d.Fill(output, 2.5f, n);
            Assert.All(on.Get(output), x => Assert.Equal(2.5f, x));

            d.Copy(on.Put(b), output, n);
            TestData.BitEqual(b, on.Get(output));

            GeluKernels.Forward(a, expected, n);
            d.GeluForward(on.Put(a), output, n);
            TestData.Close(expected, on.Get(output), Elementwise, 1e-7f);

            float[] dInput = (float[])acc.Clone();
            GeluKernels.Backward(a, b, dInput, n);
            Slice<float> dIn = on.Put(acc);
            d.GeluBackward(on.Put(a), on.Put(b), dIn, n);
            TestData.Close(dInput, on.Get(dIn), Elementwise, 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void DropoutMasksAreIdentical(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in (int[])[1, 65, 1000])
        {
            float[] x = TestData.Uniform(n, 4), dy = TestData.Uniform(n, 5), acc = TestData.Uniform(n, 6);
            const ulong seed = 0xDEADBEEF12345UL;
            var expected = new float[n];
            ElementwiseKernels.DropoutForward(x, expected, n, 0.3f, seed);
            Slice<float> output = on.Put(new float[n]);
            on.Device.DropoutForward(on.Put(x), output, n, 0.3f, seed);
            TestData.BitEqual(expected, on.Get(output));

            float[] dx = (float[])acc.Clone();
            ElementwiseKernels.DropoutBackward(dy, dx, n, 0.3f, seed);
            Slice<float> dInput = on.Put(acc);
            on.Device.DropoutBackward(on.Put(dy), dInput, n, 0.3f, seed);
            // Not bit-equal: OpenCL C may fuse the multiply-add; a differing mask would miss by a whole term.
            TestData.Close(dx, on.Get(dInput), Elementwise, 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Reductions(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in (int[])[0, 1, 7, 4095, 4097, 20000])
        {
            float[] x = TestData.Uniform(n, 7, 2f);
            Slice<float> slice = on.Put(x);
            double sum = on.Device.Sum(slice), squares = on.Device.SumOfSquares(slice);
            double expectedSum = ReduceKernels.Sum(x), expectedSquares = ReduceKernels.SumOfSquares(x);
            // Float partial sums of fixed chunks: error relative to Σ|x| (cancellation makes Σx itself tiny).
            double scale = ReduceKernels.SumOfSquares(x) + n;
            Assert.True(Math.Abs(sum - expectedSum) <= 1e-6 * scale, $"Sum n={n}: {sum} vs {expectedSum}");
            Assert.True(Math.Abs(squares - expectedSquares) <= 1e-6 * scale, $"SumOfSquares n={n}: {squares} vs {expectedSquares}");
            Assert.Equal(sum, on.Device.Sum(slice)); // the same bits on a rerun
        }
        foreach ((int rows, int cols) in (ReadOnlySpan<(int, int)>)[(1, 1), (7, 3), (65, 63), (3, 127)])
        {
            float[] input = TestData.Uniform(rows * cols, 8), acc = TestData.Uniform(cols, 9);
            float[] expected = (float[])acc.Clone();
            ReduceKernels.ColumnSum(input, expected, rows, cols);
            Slice<float> output = on.Put(acc);
            on.Device.ColumnSum(on.Put(input), output, rows, cols);
            TestData.Close(expected, on.Get(output), Reduced, Reduced);
        }
    }

    public static readonly (int Rows, int Cols)[] RowShapes = [(1, 1), (3, 7), (5, 63), (2, 65), (7, 127), (2, 700)];

    [Theory]
    [MemberData(nameof(Devices))]
    public void LayerNormForwardAndBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int rows, int cols) in RowShapes)
        {
            float[] x = TestData.Uniform(rows * cols, 10, 2f), w = TestData.Uniform(cols, 11), b = TestData.Uniform(cols, 12);
            float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
            LayerNormKernels.Forward(x, w, b, y, mean, rstd, rows, cols, 1e-5f);
            Slice<float> dx = on.Put(x), dw = on.Put(w), output = on.Put(new float[rows * cols]);
            Slice<float> dMean = on.Put(new float[rows]), dRstd = on.Put(new float[rows]);
            on.Device.LayerNormForward(dx, dw, on.Put(b), output, dMean, dRstd, rows, cols, 1e-5f);
            TestData.Close(y, on.Get(output), Reduced, Reduced);
            TestData.Close(mean, on.Get(dMean), Reduced, Reduced);
            TestData.Close(rstd, on.Get(dRstd), Reduced);

            float[] dy = TestData.Uniform(rows * cols, 13), gx = TestData.Uniform(rows * cols, 14);
            float[] gw = TestData.Uniform(cols, 15), gb = TestData.Uniform(cols, 16);
            float[] ex = (float[])gx.Clone(), ew = (float[])gw.Clone(), eb = (float[])gb.Clone();
            LayerNormKernels.Backward(dy, x, w, mean, rstd, ex, ew, eb, rows, cols);
            Slice<float> sx = on.Put(gx), sw = on.Put(gw), sb = on.Put(gb);
            on.Device.LayerNormBackward(on.Put(dy), dx, dw, on.Put(mean), on.Put(rstd), sx, sw, sb, rows, cols);
            TestData.CloseToScale(ex, on.Get(sx), Reduced);
            TestData.CloseToScale(ew, on.Get(sw), Reduced);
            TestData.CloseToScale(eb, on.Get(sb), Reduced);

            // Frozen gain and shift: empty slices, only dInput moves.
            float[] frozen = (float[])gx.Clone();
            LayerNormKernels.Backward(dy, x, w, mean, rstd, frozen, default, default, rows, cols);
            Slice<float> fx = on.Put(gx);
            on.Device.LayerNormBackward(on.Put(dy), dx, dw, on.Put(mean), on.Put(rstd), fx, Slice<float>.Empty, Slice<float>.Empty, rows, cols);
            TestData.CloseToScale(frozen, on.Get(fx), Reduced);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void SoftmaxForwardAndBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int rows, int cols) in RowShapes)
        {
            float[] x = TestData.Uniform(rows * cols, 17, 8f), y = new float[rows * cols];
            SoftmaxKernels.Forward(x, y, rows, cols);
            Slice<float> output = on.Put(new float[rows * cols]);
            on.Device.SoftmaxForward(on.Put(x), output, rows, cols);
            TestData.Close(y, on.Get(output), Reduced, 1e-7f);

            float[] dy = TestData.Uniform(rows * cols, 18), acc = TestData.Uniform(rows * cols, 19);
            float[] expected = (float[])acc.Clone();
            SoftmaxKernels.Backward(y, dy, expected, rows, cols);
            Slice<float> dInput = on.Put(acc);
            on.Device.SoftmaxBackward(on.Put(y), on.Put(dy), dInput, rows, cols);
            TestData.Close(expected, on.Get(dInput), Reduced, 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void CrossEntropyForwardAndBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int rows, int vocab) in (ReadOnlySpan<(int, int)>)[(1, 1), (3, 7), (5, 65), (4, 1000)])
        {
            float[] logits = TestData.Uniform(rows * vocab, 20, 5f), dLosses = TestData.Uniform(rows, 21);
            var random = new System.Random(22);
            int[] targets = [.. Enumerable.Range(0, rows).Select(r => r == 1 ? -1 : random.Next(vocab))];
            float[] losses = new float[rows], lse = new float[rows], dLogits = new float[rows * vocab];
            CrossEntropyKernels.Forward(logits, targets, losses, lse, rows, vocab);
            CrossEntropyKernels.Backward(logits, lse, targets, dLosses, dLogits, rows, vocab);

            Slice<float> z = on.Put(logits), sLosses = on.Put(new float[rows]), sLse = on.Put(new float[rows]);
            Slice<int> sTargets = on.Put(targets);
            on.Device.CrossEntropyForward(z, sTargets, sLosses, sLse, rows, vocab);
            TestData.Close(lse, on.Get(sLse), Reduced);
            TestData.Close(losses, on.Get(sLosses), Reduced, Reduced);
            // In place over the logits, as the SDK's loss does.
            on.Device.CrossEntropyBackward(z, on.Put(lse), sTargets, on.Put(dLosses), z, rows, vocab);
            TestData.Close(dLogits, on.Get(z), Reduced, 1e-7f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void EmbeddingForwardAndBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int count, int dim, int tableRows) in (ReadOnlySpan<(int, int, int)>)[(1, 1, 1), (7, 3, 5), (65, 63, 11), (127, 16, 127)])
        {
            var random = new System.Random(23);
            int[] ids = [.. Enumerable.Range(0, count).Select(_ => random.Next(tableRows))];
            float[] table = TestData.Uniform(tableRows * dim, 24), output = new float[count * dim];
            EmbeddingKernels.Forward(ids, table, output, count, dim, tableRows);
            Slice<int> sIds = on.Put(ids);
            Slice<float> sOutput = on.Put(new float[count * dim]);
            on.Device.EmbeddingForward(sIds, on.Put(table), sOutput, count, dim, tableRows);
            TestData.BitEqual(output, on.Get(sOutput));

            float[] dy = TestData.Uniform(count * dim, 25), dTable = TestData.Uniform(tableRows * dim, 26);
            float[] expected = (float[])dTable.Clone();
            EmbeddingKernels.Backward(ids, dy, expected, count, dim);
            Slice<float> sTable = on.Put(dTable);
            on.Device.EmbeddingBackward(sIds, on.Put(dy), sTable, count, dim);
            TestData.Close(expected, on.Get(sTable), Elementwise, 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void AdamWStep(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] p = TestData.Uniform(n, 27), g = TestData.Uniform(n, 28), m = TestData.Uniform(n, 29, 0.1f);
            float[] v = [.. TestData.Uniform(n, 30, 0.1f).Select(MathF.Abs)];
            float[] ep = (float[])p.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
            AdamWKernels.Step(ep, g, em, ev, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3, 0.5f);
            Slice<float> sp = on.Put(p), sm = on.Put(m), sv = on.Put(v);
            on.Device.AdamWStep(sp, on.Put(g), sm, sv, n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 3, 0.5f);
            TestData.Close(ep, on.Get(sp), Elementwise, 1e-7f);
            TestData.Close(em, on.Get(sm), Elementwise);
            TestData.Close(ev, on.Get(sv), Elementwise);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void MatMulWithTransposesBiasAndBeta(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        int seed = 31;
        foreach ((int m, int n, int k) in (ReadOnlySpan<(int, int, int)>)[(1, 1, 1), (7, 63, 65), (65, 7, 127), (33, 17, 16), (70, 129, 17)])
        foreach (bool transA in (bool[])[false, true])
        foreach (bool transB in (bool[])[false, true])
        {
            bool withBias = transA == transB;
            float beta = transA ? 0.5f : 0f;
            float[] a = TestData.Uniform(m * k, seed++), b = TestData.Uniform(k * n, seed++), c = TestData.Uniform(m * n, seed++);
            float[] bias = withBias ? TestData.Uniform(n, seed++) : [];
            float[] expected = (float[])c.Clone();
            GemmKernels.MatMul(a, b, expected, m, n, k, transA, transB, 1.5f, beta, bias);
            Slice<float> sc = on.Put(c);
            on.Device.MatMul(on.Put(a), on.Put(b), sc, m, n, k, transA, transB, 1.5f, beta, withBias ? on.Put(bias) : Slice<float>.Empty);
            TestData.Close(expected, on.Get(sc), Reduced, Reduced * MathF.Sqrt(k));
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void BatchedMatMul(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        const int batch = 3;
        foreach ((int m, int n, int k) in (ReadOnlySpan<(int, int, int)>)[(1, 1, 1), (7, 17, 33), (20, 5, 9)])
        foreach (bool transA in (bool[])[false, true])
        {
            bool transB = !transA;
            float[] a = TestData.Uniform(batch * m * k, 40), b = TestData.Uniform(batch * k * n, 41), c = TestData.Uniform(batch * m * n, 42);
            float[] expected = (float[])c.Clone();
            GemmKernels.BatchedMatMul(a, b, expected, batch, m, n, k, transA, transB, 0.5f, 1f);
            Slice<float> sc = on.Put(c);
            on.Device.BatchedMatMul(on.Put(a), on.Put(b), sc, batch, m, n, k, transA, transB, 0.5f, 1f);
            TestData.Close(expected, on.Get(sc), Reduced, Reduced * MathF.Sqrt(k));
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void AttentionForwardAndBackward(string name) =>
        CheckAttention(name, packed: false, [(1, 1, 1, 1), (2, 7, 3, 5), (1, 65, 2, 8), (1, 3, 1, 70)]);

    // Packed examples: rows of several examples, so segments begin mid-tile and a tile's queries start at
    // different keys; head sizes up to 64 run the tiled forward kernel, 70 the one-thread-per-query one.
    [Theory]
    [MemberData(nameof(Devices))]
    public void AttentionWithSegmentStartsForwardAndBackward(string name) =>
        CheckAttention(name, packed: true, [(1, 1, 1, 1), (2, 7, 3, 5), (2, 37, 2, 8), (2, 70, 2, 64), (1, 40, 1, 70)]);

    private static void CheckAttention(string name, bool packed, ReadOnlySpan<(int, int, int, int)> shapes)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int batch, int seqLen, int heads, int headSize) in shapes)
        {
            int C = heads * headSize, positions = batch * seqLen;
            int[] starts = packed ? TestData.PackedSegmentStarts(batch, seqLen, 53) : [];
            Slice<int> sStarts = packed ? on.Put(starts) : Slice<int>.Empty;
            float[] qkv = TestData.Uniform(positions * 3 * C, 50, 2f);
            float[] output = new float[positions * C], lse = new float[batch * heads * seqLen];
            AttentionKernels.Forward(qkv, output, lse, batch, seqLen, heads, headSize, starts);
            Slice<float> sQkv = on.Put(qkv), sOutput = on.Put(new float[positions * C]), sLse = on.Put(new float[lse.Length]);
            on.Device.AttentionForward(sQkv, sOutput, sLse, batch, seqLen, heads, headSize, sStarts);
            TestData.Close(output, on.Get(sOutput), Reduced, Reduced);
            TestData.Close(lse, on.Get(sLse), Reduced, Reduced);

            float[] dy = TestData.Uniform(positions * C, 51), acc = TestData.Uniform(positions * 3 * C, 52);
            float[] expected = (float[])acc.Clone();
            AttentionKernels.Backward(dy, qkv, output, lse, expected, batch, seqLen, heads, headSize, starts);
            Slice<float> dQkv = on.Put(acc);
            on.Device.AttentionBackward(on.Put(dy), sQkv, on.Put(output), on.Put(lse), dQkv, batch, seqLen, heads, headSize, sStarts);
            TestData.CloseToScale(expected, on.Get(dQkv), 1e-4f);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void OpsRefuseBadShapesAtTheDoor(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        Device d = on.Device;
        Slice<float> ten = on.Put(new float[10]), four = on.Put(new float[4]);
        Slice<int> ids = on.Put(new int[3]);
        TestData.Refused("c", () => d.MatMul(ten, ten, four, 3, 3, 1, false, false, 1f, 0f, Slice<float>.Empty));
        TestData.Refused("bias", () => d.MatMul(ten, ten, ten, 2, 2, 2, false, false, 1f, 0f, four.Sub(0, 3)));
        TestData.Refused("weight", () => d.LayerNormForward(ten, four.Sub(0, 1), four, ten, four, four, 2, 5, 1e-5f));
        TestData.Refused("qkv", () => d.AttentionForward(four, ten, ten, 1, 2, 1, 2, Slice<int>.Empty));
        TestData.Refused("segmentStarts", () => d.AttentionForward(on.Put(new float[12]), four, ten, 1, 2, 1, 2, ids));
        TestData.Refused("segmentStarts", () => d.AttentionBackward(four, on.Put(new float[12]), four, ten, on.Put(new float[12]), 1, 2, 1, 2, ids));
        TestData.Refused("targets", () => d.CrossEntropyForward(ten, ids, four, four, 4, 2));
        TestData.Refused("step", () => d.AdamWStep(four, four, four, four, 4, 1e-3f, 0.9f, 0.95f, 1e-8f, 0f, 0, 1f));
        TestData.Refused("ids", () => d.EmbeddingForward(ids, ten, ten, 4, 2, 5));
        TestData.Refused("p", () => d.DropoutForward(ten, ten, 10, 1.5f, 1UL));
        TestData.Refused("output", () => d.ColumnSum(ten, four, 2, 5));
    }
}

using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class AttentionTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (int seqLen in new[] { 1, 7, 65 })
        foreach (int heads in new[] { 1, 3 })
        foreach (int headSize in new[] { 1, 7, 64 })
            shapes.Add(seqLen, heads, headSize);
        return shapes;
    }

    [Fact]
    public void ReferenceForwardMatchesMaterialisedSoftmaxInDouble()
    {
        const int B = 2, T = 6, NH = 2, HS = 5, C = NH * HS;
        float[] qkv = TestData.Uniform(B * T * 3 * C, 1, 2f);
        var output = new float[B * T * C];
        var lse = new float[B * NH * T];
        AttentionKernels.Forward(qkv, output, lse, B, T, NH, HS);
        for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
        for (int t = 0; t < T; t++)
        {
            // The textbook form: a full row of scores, masked past t, softmax, weighted sum of values.
            var scores = new double[t + 1];
            for (int s = 0; s <= t; s++)
            {
                double dot = 0;
                for (int d = 0; d < HS; d++) dot += (double)qkv[(b * T + t) * 3 * C + h * HS + d] * qkv[(b * T + s) * 3 * C + C + h * HS + d];
                scores[s] = dot / Math.Sqrt(HS);
            }
            double max = scores.Max(), sum = scores.Sum(z => Math.Exp(z - max));
            Assert.Equal(max + Math.Log(sum), lse[(b * NH + h) * T + t], 1e-5);
            for (int d = 0; d < HS; d++)
            {
                double o = 0;
                for (int s = 0; s <= t; s++) o += Math.Exp(scores[s] - max) / sum * qkv[(b * T + s) * 3 * C + 2 * C + h * HS + d];
                Assert.Equal(o, output[(b * T + t) * C + h * HS + d], 1e-5);
            }
        }
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int B = 2, T = 5, NH = 2, HS = 3, C = NH * HS;
        float[] qkv = TestData.Uniform(B * T * 3 * C, 2, 1.5f), lossWeights = TestData.Uniform(B * T * C, 3);
        var output = new float[B * T * C];
        var lse = new float[B * NH * T];
        double Loss()
        {
            AttentionKernels.Forward(qkv, output, lse, B, T, NH, HS);
            return TestData.Dot(output, lossWeights);
        }
        Loss();
        var dQkv = new float[qkv.Length];
        AttentionKernels.Backward(lossWeights, qkv, output, lse, dQkv, B, T, NH, HS);
        GradientCheck.Check(qkv, dQkv, Loss, h: 1e-2f);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReference(int seqLen, int heads, int headSize)
    {
        const int B = 2;
        int C = heads * headSize;
        float[] qkv = TestData.Uniform(B * seqLen * 3 * C, seqLen * 100 + heads * 10 + headSize, 2f);
        float[] dOutput = TestData.Uniform(B * seqLen * C, 7);
        var (outRef, lseRef) = (new float[B * seqLen * C], new float[B * heads * seqLen]);
        var (outFast, lseFast) = (new float[B * seqLen * C], new float[B * heads * seqLen]);
        AttentionKernels.Forward(qkv, outRef, lseRef, B, seqLen, heads, headSize);
        CpuAttention.Forward(qkv, outFast, lseFast, B, seqLen, heads, headSize);
        // Two-pass softmax against the online one, FMA dot products: rounding of a few ulps of the
        // largest values (outputs are averages of values in [-2, 2]).
        TestData.CloseToScale(outRef, outFast, 1e-5f);
        TestData.CloseToScale(lseRef, lseFast, 1e-6f);

        float[] dRef = TestData.Uniform(qkv.Length, 8), dFast = (float[])dRef.Clone();
        AttentionKernels.Backward(dOutput, qkv, outRef, lseRef, dRef, B, seqLen, heads, headSize);
        CpuAttention.Backward(dOutput, qkv, outRef, lseRef, dFast, B, seqLen, heads, headSize);
        // Sums over up to 65 keys and queries, in the same order but with FMA: relative to the scale.
        TestData.CloseToScale(dRef, dFast, 2e-5f);
    }

    [Fact]
    public void FastBackwardIsDeterministic()
    {
        const int B = 2, T = 65, NH = 3, HS = 64, C = NH * HS;
        float[] qkv = TestData.Uniform(B * T * 3 * C, 9), dOutput = TestData.Uniform(B * T * C, 10);
        var output = new float[B * T * C];
        var lse = new float[B * NH * T];
        CpuAttention.Forward(qkv, output, lse, B, T, NH, HS);
        var first = new float[qkv.Length];
        var second = new float[qkv.Length];
        CpuAttention.Backward(dOutput, qkv, output, lse, first, B, T, NH, HS);
        CpuAttention.Backward(dOutput, qkv, output, lse, second, B, T, NH, HS);
        TestData.BitEqual(first, second);
    }

    // ---- segment starts: rows that pack several examples ----

    public static TheoryData<bool> FastAndReference() => new() { true, false };

    private static void Forward(bool fast, float[] qkv, float[] output, float[] lse, int B, int T, int NH, int HS, int[]? starts = null)
    {
        if (fast) CpuAttention.Forward(qkv, output, lse, B, T, NH, HS, starts);
        else AttentionKernels.Forward(qkv, output, lse, B, T, NH, HS, starts);
    }

    private static void Backward(bool fast, float[] dOutput, float[] qkv, float[] output, float[] lse, float[] dQkv,
        int B, int T, int NH, int HS, int[]? starts = null)
    {
        if (fast) CpuAttention.Backward(dOutput, qkv, output, lse, dQkv, B, T, NH, HS, starts);
        else AttentionKernels.Backward(dOutput, qkv, output, lse, dQkv, B, T, NH, HS, starts);
    }

    [Theory, MemberData(nameof(FastAndReference))]
    public void PackedRowsMatchEachExampleAlone(bool fast)
    {
        // T = 13 as 5, 1, 7 and as 8, 5; T = 70 as 20, 1, 19, 30 (segments begin mid-block) and as one example.
        foreach ((int[][] rows, int NH, int HS) in new[] { ([[5, 1, 7], [8, 5]], 2, 8), (new[] { [20, 1, 19, 30], new[] { 70 } }, 2, 64) })
        {
            int B = rows.Length, T = rows[0].Sum(), C = NH * HS;
            int[] starts = TestData.SegmentStarts(rows);
            float[] qkv = TestData.Uniform(B * T * 3 * C, T, 2f), dOutput = TestData.Uniform(B * T * C, T + 1);
            float[] output = new float[B * T * C], lse = new float[B * NH * T], dQkv = new float[qkv.Length];
            Forward(fast, qkv, output, lse, B, T, NH, HS, starts);
            Backward(fast, dOutput, qkv, output, lse, dQkv, B, T, NH, HS, starts);

            for (int b = 0; b < B; b++)
            for (int start = 0, e = 0; e < rows[b].Length; start += rows[b][e++])
            {
                int n = rows[b][e];
                // The example by itself: its rows of qkv and dOutput, plain causal attention.
                float[] aloneQkv = qkv.AsSpan((b * T + start) * 3 * C, n * 3 * C).ToArray();
                float[] aloneDOutput = dOutput.AsSpan((b * T + start) * C, n * C).ToArray();
                float[] aloneOutput = new float[n * C], aloneLse = new float[NH * n], aloneDQkv = new float[n * 3 * C];
                Forward(fast, aloneQkv, aloneOutput, aloneLse, 1, n, NH, HS);
                Backward(fast, aloneDOutput, aloneQkv, aloneOutput, aloneLse, aloneDQkv, 1, n, NH, HS);

                // Tolerances of FastMatchesReference: the same sums over the same keys, at most reordered.
                TestData.CloseToScale(aloneOutput, output.AsSpan((b * T + start) * C, n * C), 1e-5f);
                for (int h = 0; h < NH; h++)
                    TestData.CloseToScale(aloneLse.AsSpan(h * n, n), lse.AsSpan((b * NH + h) * T + start, n), 1e-6f);
                TestData.CloseToScale(aloneDQkv, dQkv.AsSpan((b * T + start) * 3 * C, n * 3 * C), 2e-5f);
            }
        }
    }

    [Theory, MemberData(nameof(FastAndReference))]
    public void AllZeroSegmentStartsArePlainCausalBitForBit(bool fast)
    {
        const int B = 2, T = 37, NH = 3, HS = 16, C = NH * HS;
        float[] qkv = TestData.Uniform(B * T * 3 * C, 70, 2f), dOutput = TestData.Uniform(B * T * C, 71);
        float[] plainOutput = new float[B * T * C], plainLse = new float[B * NH * T], plainDQkv = TestData.Uniform(qkv.Length, 72);
        float[] zeroOutput = new float[B * T * C], zeroLse = new float[B * NH * T], zeroDQkv = (float[])plainDQkv.Clone();
        int[] zeros = new int[B * T];
        Forward(fast, qkv, plainOutput, plainLse, B, T, NH, HS);
        Forward(fast, qkv, zeroOutput, zeroLse, B, T, NH, HS, zeros);
        Backward(fast, dOutput, qkv, plainOutput, plainLse, plainDQkv, B, T, NH, HS);
        Backward(fast, dOutput, qkv, plainOutput, plainLse, zeroDQkv, B, T, NH, HS, zeros);
        TestData.BitEqual(plainOutput, zeroOutput);
        TestData.BitEqual(plainLse, zeroLse);
        TestData.BitEqual(plainDQkv, zeroDQkv);
    }

    // FNV-1a of the bits of output, logSumExp and dQkv, recorded before segment starts existed (commit fc32a4e):
    // with none, both versions must give the very same bits. Recorded on Linux x64 with AVX2 and FMA (the
    // scalar exp/log come from glibc); elsewhere the last bits may legitimately differ, so the test skips.
    [RecordedPlatformFact]
    public void EmptySegmentStartsGiveTheBitsOfBefore()
    {
        foreach ((int B, int T, int NH, int HS, bool fast, ulong output, ulong lse, ulong dQkv) in new[]
        {
            (2, 37, 3, 16, true, 0x28B226C88894E5F8UL, 0xD5BD402871EC2B16UL, 0x37B1E1956AF11BFAUL),
            (2, 37, 3, 16, false, 0x26C893541923AE48UL, 0xE100228F57DB97A6UL, 0xBDB64FA74B786528UL),
            (1, 130, 2, 64, true, 0xD731392D82353DECUL, 0xA792CC61CA5EB8A9UL, 0xCDD89ACAFF1722CBUL),
            (1, 130, 2, 64, false, 0xAF8E9937770E4788UL, 0x871064845CB8D3C1UL, 0x0E7A360DCC9439B5UL),
        })
        {
            int C = NH * HS;
            float[] qkv = TestData.Uniform(B * T * 3 * C, 60 + T, 2f), dOutput = TestData.Uniform(B * T * C, 61 + T);
            float[] o = new float[B * T * C], l = new float[B * NH * T], d = TestData.Uniform(qkv.Length, 62 + T);
            Forward(fast, qkv, o, l, B, T, NH, HS, starts: []);
            Backward(fast, dOutput, qkv, o, l, d, B, T, NH, HS, starts: []);
            string what = $"{(fast ? "CpuAttention" : "AttentionKernels")} B={B} T={T} NH={NH} HS={HS}";
            Assert.True(Fingerprint(o) == output, $"{what}: output bits changed");
            Assert.True(Fingerprint(l) == lse, $"{what}: logSumExp bits changed");
            Assert.True(Fingerprint(d) == dQkv, $"{what}: dQkv bits changed");
        }
    }

    private static ulong Fingerprint(float[] values)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (float v in values)
        {
            hash ^= (uint)BitConverter.SingleToInt32Bits(v);
            hash *= 0x100000001B3UL;
        }
        return hash;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReferenceWithSegmentStarts(int seqLen, int heads, int headSize)
    {
        const int B = 2;
        int C = heads * headSize;
        int[] starts = TestData.PackedSegmentStarts(B, seqLen, seqLen + heads + headSize);
        float[] qkv = TestData.Uniform(B * seqLen * 3 * C, seqLen * 100 + heads * 10 + headSize, 2f);
        float[] dOutput = TestData.Uniform(B * seqLen * C, 7);
        var (outRef, lseRef) = (new float[B * seqLen * C], new float[B * heads * seqLen]);
        var (outFast, lseFast) = (new float[B * seqLen * C], new float[B * heads * seqLen]);
        AttentionKernels.Forward(qkv, outRef, lseRef, B, seqLen, heads, headSize, starts);
        CpuAttention.Forward(qkv, outFast, lseFast, B, seqLen, heads, headSize, starts);
        // As FastMatchesReference (over fewer keys).
        TestData.CloseToScale(outRef, outFast, 1e-5f);
        TestData.CloseToScale(lseRef, lseFast, 1e-6f);

        float[] dRef = TestData.Uniform(qkv.Length, 8), dFast = (float[])dRef.Clone();
        AttentionKernels.Backward(dOutput, qkv, outRef, lseRef, dRef, B, seqLen, heads, headSize, starts);
        CpuAttention.Backward(dOutput, qkv, outRef, lseRef, dFast, B, seqLen, heads, headSize, starts);
        TestData.CloseToScale(dRef, dFast, 2e-5f);
    }

    [Fact]
    public void BadSegmentStartsAreRefused()
    {
        const int B = 2, T = 4, NH = 1, HS = 2, C = NH * HS;
        float[] qkv = new float[B * T * 3 * C], output = new float[B * T * C], lse = new float[B * NH * T], dQkv = new float[qkv.Length];
        int[] good = TestData.SegmentStarts([1, 3], [4]);
        foreach (bool fast in (bool[])[true, false])
        {
            Forward(fast, qkv, output, lse, B, T, NH, HS, good);
            Backward(fast, output, qkv, output, lse, dQkv, B, T, NH, HS, good);
            TestData.Refused("segmentStarts", () => Forward(fast, qkv, output, lse, B, T, NH, HS, good[..^1]));
            TestData.Refused("segmentStarts", () => Forward(fast, qkv, output, lse, B, T, NH, HS, [.. good, 0]));
            TestData.Refused("segmentStarts", () => Backward(fast, output, qkv, output, lse, dQkv, B, T, NH, HS, good[..T]));
            // A start past its position, a negative one, and an example that resumes after another began.
            TestData.Refused("segmentStarts", () => Forward(fast, qkv, output, lse, B, T, NH, HS, [0, 2, 2, 2, 0, 0, 0, 0]));
            TestData.Refused("segmentStarts", () => Forward(fast, qkv, output, lse, B, T, NH, HS, [0, 0, 0, 0, 0, -1, -1, -1]));
            TestData.Refused("segmentStarts", () => Backward(fast, output, qkv, output, lse, dQkv, B, T, NH, HS, [0, 0, 2, 0, 0, 0, 0, 0]));
        }
    }

    [Fact]
    public void BadInputIsRefused()
    {
        const int B = 1, T = 4, NH = 2, HS = 3, C = NH * HS;
        float[] qkv = new float[B * T * 3 * C], output = new float[B * T * C], lse = new float[B * NH * T];
        TestData.Refused("seqLen", () => AttentionKernels.Forward(qkv, output, lse, B, -1, NH, HS));
        TestData.Refused("qkv", () => CpuAttention.Forward(new float[qkv.Length - 1], output, lse, B, T, NH, HS));
        TestData.Refused("output", () => AttentionKernels.Forward(qkv, new float[output.Length - 1], lse, B, T, NH, HS));
        TestData.Refused("logSumExp", () => CpuAttention.Forward(qkv, output, new float[lse.Length - 1], B, T, NH, HS));
        TestData.Refused("dOutput", () => CpuAttention.Backward(new float[output.Length - 1], qkv, output, lse, new float[qkv.Length], B, T, NH, HS));
        TestData.Refused("dQkv", () => AttentionKernels.Backward(output, qkv, output, lse, new float[qkv.Length - 1], B, T, NH, HS));
    }
}

/// <summary>A fact whose expected values were recorded on Linux x64 with AVX2 and FMA: it runs there only, and
/// skips elsewhere, where the C library's exp/log or software SIMD may round the last bit differently.</summary>
public sealed class RecordedPlatformFactAttribute : FactAttribute
{
    public RecordedPlatformFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !System.Runtime.Intrinsics.X86.Avx2.IsSupported || !System.Runtime.Intrinsics.X86.Fma.IsSupported)
            Skip = "expected bits were recorded on Linux x64 with AVX2 and FMA";
    }
}

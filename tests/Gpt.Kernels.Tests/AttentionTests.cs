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

using Gpt.Kernels;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Tensors;

public class AttentionOpTests
{
    // The op passes the segment starts to the forward kernel and keeps them for the backward one: its output
    // and qkv's gradient match the kernel reference given the same starts (plain causal attention would not).
    [Fact]
    public void SegmentStartsReachForwardAndBackward()
    {
        const int B = 2, T = 13, NH = 2, HS = 4, C = NH * HS;
        int[] starts = [0, 0, 0, 0, 0, 5, 6, 6, 6, 6, 6, 6, 6, /* row 1 */ 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8];
        var random = new Random(5);
        float[] values = [.. Enumerable.Range(0, B * T * 3 * C).Select(_ => (float)(random.NextDouble() * 4 - 2))];

        using var tape = new Tape(Device.Cpu);
        var qkv = tape.Constant(values, new Shape(B, T, 3 * C));
        qkv.RequiresGrad = true;
        var output = tape.CausalSelfAttention(qkv, NH, tape.Indices(starts));
        tape.Backward(output); // d(sum of the outputs): every output's gradient is 1

        float[] expected = new float[B * T * C], lse = new float[B * NH * T], dQkv = new float[values.Length];
        float[] ones = [.. Enumerable.Repeat(1f, B * T * C)];
        AttentionKernels.Forward(values, expected, lse, B, T, NH, HS, starts);
        AttentionKernels.Backward(ones, values, expected, lse, dQkv, B, T, NH, HS, starts);
        // The CPU's fast kernels against the reference: FMA rounding, a few ulps of the largest values.
        AssertClose(expected, output.ToArray(), 1e-5);
        AssertClose(dQkv, qkv.Grad!.ToArray(), 2e-5);
    }

    private static void AssertClose(float[] expected, float[] actual, double relativeToLargest)
    {
        double limit = relativeToLargest * expected.Max(Math.Abs);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= limit, $"element {i}: {expected[i]} vs {actual[i]}");
    }
}

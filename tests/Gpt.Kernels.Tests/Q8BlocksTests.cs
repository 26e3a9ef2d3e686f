using Gpt.Kernels.Quantization;

namespace Gpt.Kernels.Tests;

public sealed class Q8BlocksTests
{
    [Fact]
    public void RoundTripErrorIsAtMostHalfAStepPerBlock()
    {
        var random = new System.Random(7);
        float[] x = new float[4 * Q8Blocks.BlockSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i / 32);
        var q = new sbyte[x.Length];
        var d = new Half[4];
        Q8Blocks.Quantize(x, q, d);
        var back = new float[x.Length];
        Q8Blocks.Dequantize(q, d, back);
        for (int b = 0; b < 4; b++)
        {
            float max = x.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs);
            Assert.Equal(127, q.AsSpan(b * 32, 32).ToArray().Max(v => Math.Abs((int)v)));
            // Half a quantization step, plus the fp16 rounding of the scale applied to up to 127 steps.
            float tolerance = max / 127f * 0.5f + max * 1e-3f;
            for (int i = b * 32; i < (b + 1) * 32; i++) Assert.InRange(Math.Abs(back[i] - x[i]), 0, tolerance);
        }
    }

    [Fact]
    public void MatchesLlamaCppReferenceRounding()
    {
        // quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d) (half away from zero), d stored as fp16.
        float[] x = new float[32];
        x[0] = 127f; x[1] = 0.5f; x[2] = -0.5f; x[3] = 1.5f; x[4] = -63.5f;
        var q = new sbyte[32];
        var d = new Half[1];
        Q8Blocks.Quantize(x, q, d);
        Assert.Equal((Half)1f, d[0]);
        Assert.Equal(new sbyte[] { 127, 1, -1, 2, -64, 0 }, q[..6]);
    }

    [Fact]
    public void AllZeroBlockHasZeroScale()
    {
        var q = new sbyte[32];
        var d = new Half[1];
        Q8Blocks.Quantize(new float[32], q, d);
        Assert.Equal((Half)0f, d[0]);
        Assert.All(q, v => Assert.Equal(0, v));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => Q8Blocks.Quantize(new float[33], new sbyte[33], new Half[2]));
        Assert.Throws<ArgumentException>(() => Q8Blocks.Quantize(new float[32], new sbyte[31], new Half[1]));
        var nan = new float[32];
        nan[5] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => Q8Blocks.Quantize(nan, new sbyte[32], new Half[1]));
        Assert.Contains("value 5", error.Message);
        Assert.Throws<ArgumentException>(() => Q8Blocks.Dequantize(new sbyte[32], new Half[2], new float[32]));
    }
}

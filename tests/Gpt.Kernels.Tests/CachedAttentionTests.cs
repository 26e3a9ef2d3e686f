using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class CachedAttentionTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (int newLen in new[] { 1, 7, 33 })
        foreach (int heads in new[] { 1, 3 })
        foreach (int headSize in new[] { 1, 7, 64 })
            shapes.Add(newLen, heads, headSize);
        return shapes;
    }

    // The cache of a whole sequence: full causal attention over T positions equals appending them in
    // pieces (a prefill, then single tokens) and attending against the cache each time.
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 13, 3, 7)]
    [InlineData(3, 40, 2, 64)]
    public void ReferenceInPiecesMatchesFullCausalAttention(int batch, int seqLen, int heads, int headSize)
    {
        int C = heads * headSize, capacity = seqLen + 3;
        float[] qkv = TestData.Uniform(batch * seqLen * 3 * C, seqLen + heads + headSize, 2f);
        var expected = new float[batch * seqLen * C];
        AttentionKernels.Forward(qkv, expected, new float[batch * heads * seqLen], batch, seqLen, heads, headSize);

        var keys = new float[batch * heads * capacity * headSize];
        var values = new float[keys.Length];
        var actual = new float[expected.Length];
        int prefill = seqLen / 2 + 1;
        for (int start = 0; start < seqLen; start += start == 0 ? prefill : 1)
        {
            int n = start == 0 ? prefill : 1;
            float[] piece = Rows(qkv, batch, seqLen, 3 * C, start, n);
            int[] past = Enumerable.Repeat(start, batch).ToArray();
            var output = new float[batch * n * C];
            CachedAttentionKernels.Append(piece, keys, values, past, batch, n, capacity, heads, headSize);
            CachedAttentionKernels.Forward(piece, keys, values, past, output, batch, n, capacity, heads, headSize);
            for (int b = 0; b < batch; b++)
                output.AsSpan(b * n * C, n * C).CopyTo(actual.AsSpan((b * seqLen + start) * C, n * C));
        }
        TestData.CloseToScale(expected, actual, 1e-5f);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReferenceWithRaggedRows(int newLen, int heads, int headSize)
    {
        const int B = 3;
        int C = heads * headSize, capacity = 70;
        int[] past = [0, 29, 70 - newLen]; // an empty row, a middle one, a full one after this step
        float[] qkv = TestData.Uniform(B * newLen * 3 * C, newLen * 100 + heads * 10 + headSize, 2f);
        float[] keysRef = TestData.Uniform(B * heads * capacity * headSize, 5, 2f), valuesRef = TestData.Uniform(keysRef.Length, 6, 2f);
        float[] keysFast = (float[])keysRef.Clone(), valuesFast = (float[])valuesRef.Clone();
        var outRef = new float[B * newLen * C];
        var outFast = new float[outRef.Length];

        CachedAttentionKernels.Append(qkv, keysRef, valuesRef, past, B, newLen, capacity, heads, headSize);
        CpuCachedAttention.Append(qkv, keysFast, valuesFast, past, B, newLen, capacity, heads, headSize);
        TestData.BitEqual(keysRef, keysFast);
        TestData.BitEqual(valuesRef, valuesFast);

        CachedAttentionKernels.Forward(qkv, keysRef, valuesRef, past, outRef, B, newLen, capacity, heads, headSize);
        CpuCachedAttention.Forward(qkv, keysFast, valuesFast, past, outFast, B, newLen, capacity, heads, headSize);
        TestData.CloseToScale(outRef, outFast, 1e-5f);
    }

    [Fact]
    public void FastIsDeterministic()
    {
        const int B = 2, T = 40, NH = 3, HS = 64, L = 300;
        int[] past = [100, 250];
        float[] qkv = TestData.Uniform(B * T * 3 * NH * HS, 11), keys = TestData.Uniform(B * NH * L * HS, 12), values = TestData.Uniform(keys.Length, 13);
        var first = new float[B * T * NH * HS];
        var second = new float[first.Length];
        CpuCachedAttention.Forward(qkv, keys, values, past, first, B, T, L, NH, HS);
        CpuCachedAttention.Forward(qkv, keys, values, past, second, B, T, L, NH, HS);
        TestData.BitEqual(first, second);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        const int B = 2, T = 3, NH = 2, HS = 4, L = 8, C = NH * HS;
        float[] qkv = new float[B * T * 3 * C], keys = new float[B * NH * L * HS], values = new float[keys.Length], output = new float[B * T * C];
        TestData.Refused("past", () => CachedAttentionKernels.Append(qkv, keys, values, [0, L - T + 1], B, T, L, NH, HS));
        TestData.Refused("past", () => CpuCachedAttention.Forward(qkv, keys, values, [-1, 0], output, B, T, L, NH, HS));
        TestData.Refused("past", () => CpuCachedAttention.Forward(qkv, keys, values, [0], output, B, T, L, NH, HS));
        TestData.Refused("keys", () => CpuCachedAttention.Append(qkv, new float[keys.Length - 1], values, [0, 0], B, T, L, NH, HS));
        TestData.Refused("values", () => CachedAttentionKernels.Forward(qkv, keys, new float[1], [0, 0], output, B, T, L, NH, HS));
        TestData.Refused("output", () => CpuCachedAttention.Forward(qkv, keys, values, [0, 0], new float[output.Length - 1], B, T, L, NH, HS));
        TestData.Refused("qkv", () => CachedAttentionKernels.Forward(new float[qkv.Length - 1], keys, values, [0, 0], output, B, T, L, NH, HS));
    }

    // Positions [start, start + n) of every row of x (B, T, width).
    private static float[] Rows(float[] x, int batch, int seqLen, int width, int start, int n)
    {
        var rows = new float[batch * n * width];
        for (int b = 0; b < batch; b++)
            x.AsSpan((b * seqLen + start) * width, n * width).CopyTo(rows.AsSpan(b * n * width));
        return rows;
    }
}

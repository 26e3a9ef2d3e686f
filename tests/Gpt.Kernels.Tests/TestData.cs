namespace Gpt.Kernels.Tests;

/// <summary>Seeded random inputs and tolerance asserts shared by the kernel tests.</summary>
internal static class TestData
{
    /// <summary>Sizes that straddle SIMD widths (8 and 16 floats) and unrolled loops.</summary>
    public static readonly int[] Sizes = [1, 7, 63, 65, 127, 129, 4099];

    /// <summary>(rows, cols) pairs for row-wise kernels: tiny, awkward and GPT-2-like.</summary>
    public static TheoryData<int, int> RowShapes() => new()
    {
        { 1, 1 }, { 1, 7 }, { 3, 63 }, { 2, 65 }, { 5, 127 }, { 4, 129 }, { 33, 771 }, { 65, 16 },
    };

    /// <summary>Uniform values in [-scale, scale).</summary>
    public static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Attention segment starts (B, T) for rows that each pack examples of the given lengths, one
    /// after another (each row's lengths add up to T).</summary>
    public static int[] SegmentStarts(params int[][] rows)
    {
        var starts = new List<int>();
        foreach (int[] lengths in rows)
        {
            int start = 0;
            foreach (int length in lengths)
            {
                for (int i = 0; i < length; i++) starts.Add(start);
                start += length;
            }
        }
        return [.. starts];
    }

    /// <summary>Segment starts (B, T) for rows packed with examples of seeded random lengths: mostly a few
    /// positions to about a third of the row, now and then a single position.</summary>
    public static int[] PackedSegmentStarts(int batch, int seqLen, int seed)
    {
        var random = new System.Random(seed);
        var starts = new int[batch * seqLen];
        for (int b = 0; b < batch; b++)
        {
            for (int start = 0; start < seqLen;)
            {
                int length = random.Next(4) == 0 ? 1 : random.Next(1, Math.Max(2, seqLen / 3) + 1);
                int end = Math.Min(seqLen, start + length);
                for (int t = start; t < end; t++) starts[b * seqLen + t] = start;
                start = end;
            }
        }
        return starts;
    }

    /// <summary>Asserts |expected - actual| &lt;= absolute + relative * |expected| elementwise.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative, float absolute = 0f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float limit = absolute + relative * Math.Abs(expected[i]);
            float error = Math.Abs(expected[i] - actual[i]);
            if (!(error <= limit) && !(expected[i].Equals(actual[i])))
                Assert.Fail($"element {i}: expected {expected[i]:R}, actual {actual[i]:R}, error {error:E3} > limit {limit:E3}");
        }
    }

    /// <summary>Asserts closeness relative to the largest magnitude: for reductions where a
    /// cancelled element's own relative error is meaningless.</summary>
    public static void CloseToScale(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative)
    {
        float scale = 0f;
        foreach (float e in expected) scale = Math.Max(scale, Math.Abs(e));
        Close(expected, actual, relative, relative * Math.Max(scale, 1e-30f));
    }

    /// <summary>Asserts bit-identical contents.</summary>
    public static void BitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"element {i}: expected {expected[i]:R}, actual {actual[i]:R} (bits differ)");
        }
    }

    /// <summary>sum(values * weights) in double: the scalar loss the gradient checks differentiate.</summary>
    public static double Dot(ReadOnlySpan<float> values, ReadOnlySpan<float> weights)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += (double)values[i] * weights[i];
        return sum;
    }

    /// <summary>Asserts that <paramref name="action"/> is refused with an ArgumentException (or a
    /// subclass) naming <paramref name="parameter"/>.</summary>
    public static void Refused(string parameter, Action action)
    {
        var error = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Equal(parameter, error.ParamName);
    }
}

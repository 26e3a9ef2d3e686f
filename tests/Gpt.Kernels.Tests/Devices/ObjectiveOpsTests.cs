using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// The elementwise ops the alignment objectives (DPO, PPO, reward model) are built from, run on every device present
/// and compared with formulas written here in double, not with the kernels' own code. Tolerances are relative to each
/// element: float rounding of the op itself, and on a GPU exp/log1p may differ from the CPU's in the last bits.
/// </summary>
public sealed class ObjectiveOpsTests
{
    private static readonly int[] Sizes = [1, 7, 63, 65, 127, 1000];

    /// <summary>A product or a selection: one float rounding (two for an accumulation).</summary>
    private const float Exact = 1e-6f;

    /// <summary>exp and log1p, a few ulps on any device.</summary>
    private const float Transcendental = 5e-6f;

    public static TheoryData<string> Devices() => DeviceUnderTest.Present();

    [Theory]
    [MemberData(nameof(Devices))]
    public void MultiplyAndMultiplyAccumulate(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] a = TestData.Uniform(n, 1, 3f), b = TestData.Uniform(n, 2, 3f), acc = TestData.Uniform(n, 3);
            Slice<float> output = on.Put(new float[n]);
            on.Device.Multiply(on.Put(a), on.Put(b), output, n);
            TestData.Close(Map(n, i => (double)a[i] * b[i]), on.Get(output), Exact);

            Slice<float> accumulator = on.Put(acc);
            on.Device.MultiplyAccumulate(on.Put(a), on.Put(b), accumulator, n);
            TestData.Close(Map(n, i => acc[i] + (double)a[i] * b[i]), on.Get(accumulator), Exact, 1e-6f);

            // In place: x = x·x.
            Slice<float> square = on.Put(a);
            on.Device.Multiply(square, square, square, n);
            TestData.Close(Map(n, i => (double)a[i] * a[i]), on.Get(square), Exact);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Exp(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] x = TestData.Uniform(n, 4, 10f);
            Slice<float> output = on.Put(new float[n]);
            on.Device.Exp(on.Put(x), output, n);
            TestData.Close(Map(n, i => Math.Exp(x[i])), on.Get(output), Transcendental);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void LogSigmoidAndItsBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] x = TestData.Uniform(n, 5, 30f), dy = TestData.Uniform(n, 6), acc = TestData.Uniform(n, 7);
            Slice<float> sx = on.Put(x), output = on.Put(new float[n]);
            on.Device.LogSigmoid(sx, output, n);
            TestData.Close(Map(n, i => LogSigmoid(x[i])), on.Get(output), Transcendental, 1e-12f);

            Slice<float> dInput = on.Put(acc);
            on.Device.LogSigmoidBackward(sx, on.Put(dy), dInput, n);
            TestData.Close(Map(n, i => acc[i] + dy[i] / (1 + Math.Exp(x[i]))), on.Get(dInput), Transcendental, 1e-6f);
        }
    }

    // Where the naive forms fail: e^100 overflows float, and 1 + e^−100 rounds to 1.
    [Theory]
    [MemberData(nameof(Devices))]
    public void LogSigmoidIsStableAtPlusAndMinusOneHundred(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        float[] x = [100f, -100f, 30f, -30f, 0f, float.PositiveInfinity, float.NegativeInfinity];
        Slice<float> sx = on.Put(x), output = on.Put(new float[x.Length]), dInput = on.Put(new float[x.Length]);
        on.Device.LogSigmoid(sx, output, x.Length);
        float[] y = on.Get(output);
        // log σ(100) = −e^−100 ≈ −3.7e−44, a float denormal that a GPU may flush to zero: compared absolutely.
        Assert.InRange(y[0], -4e-44f, 0f);
        Assert.Equal(-100f, y[1]);
        TestData.Close([(float)-Math.Exp(-30), -30f, -MathF.Log(2f), 0f, float.NegativeInfinity], y.AsSpan(2), Transcendental);

        on.Device.LogSigmoidBackward(sx, on.Put(Enumerable.Repeat(1f, x.Length).ToArray()), dInput, x.Length);
        float[] dx = on.Get(dInput);
        Assert.InRange(dx[0], 0f, 4e-44f);
        Assert.Equal(1f, dx[1]);
        TestData.Close([(float)Math.Exp(-30), 1f, 0.5f, 0f, 1f], dx.AsSpan(2), Transcendental);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ClampAndItsBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        const float low = -0.8f, high = 1.2f;
        foreach (int n in Sizes)
        {
            float[] x = TestData.Uniform(n, 8, 2f), dy = TestData.Uniform(n, 9), acc = TestData.Uniform(n, 10);
            x[0] = low; // the bounds themselves
            if (n > 1) x[1] = high;
            Slice<float> sx = on.Put(x), output = on.Put(new float[n]);
            on.Device.Clamp(sx, low, high, output, n);
            TestData.BitEqual(Map(n, i => Math.Min(Math.Max(x[i], low), high)), on.Get(output));

            Slice<float> dInput = on.Put(acc);
            on.Device.ClampBackward(sx, low, high, on.Put(dy), dInput, n);
            // PyTorch's mask, x ≥ min and x ≤ max: the bounds pass the gradient.
            TestData.Close(Map(n, i => x[i] >= low && x[i] <= high ? acc[i] + (double)dy[i] : acc[i]), on.Get(dInput), Exact);
        }

        // One-sided, and NaN stays NaN rather than becoming a bound.
        float[] odd = [float.NaN, -5f, 5f];
        Slice<float> oneSided = on.Put(new float[3]);
        on.Device.Clamp(on.Put(odd), float.NegativeInfinity, 0f, oneSided, 3);
        float[] clamped = on.Get(oneSided);
        Assert.True(float.IsNaN(clamped[0]));
        Assert.Equal([-5f, 0f], clamped[1..]);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void MinimumMaximumAndTheirBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach (int n in Sizes)
        {
            float[] a = TestData.Uniform(n, 11), b = TestData.Uniform(n, 12), dy = TestData.Uniform(n, 13);
            float[] accA = TestData.Uniform(n, 14), accB = TestData.Uniform(n, 15);
            for (int i = 0; i < n; i += 5) b[i] = a[i]; // ties
            Slice<float> sa = on.Put(a), sb = on.Put(b), sdy = on.Put(dy);
            foreach (bool minimum in (bool[])[true, false])
            {
                Slice<float> output = on.Put(new float[n]);
                if (minimum) on.Device.Minimum(sa, sb, output, n);
                else on.Device.Maximum(sa, sb, output, n);
                float[] expected = Map(n, i => minimum ? Math.Min(a[i], b[i]) : Math.Max(a[i], b[i]));
                TestData.BitEqual(expected, on.Get(output));

                // The chosen operand takes the gradient; a tie splits it evenly, as torch.minimum/maximum do.
                Slice<float> dA = on.Put(accA), dB = on.Put(accB);
                on.Device.SelectBackward(sa, sb, output, sdy, dA, dB, n);
                double Share(int i, float operand) => operand != expected[i] ? 0 : a[i] == b[i] ? 0.5 * dy[i] : dy[i];
                TestData.Close(Map(n, i => accA[i] + Share(i, a[i])), on.Get(dA), Exact);
                TestData.Close(Map(n, i => accB[i] + Share(i, b[i])), on.Get(dB), Exact);

                // A frozen operand: its gradient slice is empty and the other still gets its share.
                Slice<float> onlyB = on.Put(accB);
                on.Device.SelectBackward(sa, sb, output, sdy, Slice<float>.Empty, onlyB, n);
                TestData.Close(Map(n, i => accB[i] + Share(i, b[i])), on.Get(onlyB), Exact);
            }
        }

        // NaN in either operand gives NaN (fmin/fmax would hide it), and its gradient goes nowhere.
        float[] p = [float.NaN, 1f], q = [2f, float.NaN];
        Slice<float> both = on.Put(new float[2]), dP = on.Put(new float[2]), dQ = on.Put(new float[2]);
        on.Device.Minimum(on.Put(p), on.Put(q), both, 2);
        Assert.All(on.Get(both), v => Assert.True(float.IsNaN(v)));
        on.Device.Maximum(on.Put(p), on.Put(q), both, 2);
        Assert.All(on.Get(both), v => Assert.True(float.IsNaN(v)));
        on.Device.SelectBackward(on.Put(p), on.Put(q), both, on.Put(new[] { 1f, 1f }), dP, dQ, 2);
        Assert.Equal([0f, 0f], on.Get(dP));
        Assert.Equal([0f, 0f], on.Get(dQ));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void RowSumAndItsBackward(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        foreach ((int rows, int cols) in (ReadOnlySpan<(int, int)>)[(1, 1), (3, 7), (5, 63), (2, 700), (300, 3), (4, 0)])
        {
            float[] x = TestData.Uniform(rows * cols, 16, 5f), dy = TestData.Uniform(rows, 17), acc = TestData.Uniform(rows * cols, 18);
            // A 0/1 mask with some fractional weights: prompt tokens off, a few weighted.
            float[] w = Map(rows * cols, i => i % 3 == 0 ? 0 : i % 7 == 0 ? 0.25 : 1);
            Slice<float> sw = on.Put(w), output = on.Put(TestData.Uniform(rows, 19));
            on.Device.RowSum(on.Put(x), sw, output, rows, cols);
            float[] expected = Map(rows, r => Enumerable.Range(0, cols).Sum(c => (double)x[r * cols + c] * w[r * cols + c]));
            // Float sums in column order: error relative to Σ|x·w| of the row, not to a cancelled total.
            float[] scale = Map(rows, r => Enumerable.Range(0, cols).Sum(c => Math.Abs((double)x[r * cols + c] * w[r * cols + c])));
            float[] actual = on.Get(output);
            for (int r = 0; r < rows; r++)
                Assert.True(Math.Abs(actual[r] - expected[r]) <= 1e-6f * (scale[r] + 1), $"row {r}: {actual[r]} vs {expected[r]}");
            on.Device.RowSum(on.Put(x), sw, output, rows, cols);
            TestData.BitEqual(actual, on.Get(output));

            Slice<float> dInput = on.Put(acc);
            on.Device.RowSumBackward(on.Put(dy), sw, dInput, rows, cols);
            TestData.Close(Map(rows * cols, i => acc[i] + (double)dy[i / cols] * w[i]), on.Get(dInput), Exact);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ObjectiveOpsRefuseBadInputAtTheDoor(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        Device d = on.Device;
        Slice<float> ten = on.Put(new float[10]), four = on.Put(new float[4]), other = on.Put(new float[10]);
        TestData.Refused("b", () => d.Multiply(ten, four, other, 10));
        TestData.Refused("output", () => d.Multiply(ten, ten, four, 10));
        TestData.Refused("accumulator", () => d.MultiplyAccumulate(ten, other, four, 10));
        TestData.Refused("count", () => d.MultiplyAccumulate(ten, ten, other, -1));
        TestData.Refused("x", () => d.Exp(four, ten, 10));
        TestData.Refused("output", () => d.LogSigmoid(ten, four, 10));
        TestData.Refused("dOutput", () => d.LogSigmoidBackward(ten, four, other, 10));
        TestData.Refused("dInput", () => d.LogSigmoidBackward(ten, other, four, 10));
        TestData.Refused("x", () => d.Clamp(four, 0f, 1f, ten, 10));
        TestData.Refused("high", () => d.Clamp(ten, 1f, 0f, other, 10));
        TestData.Refused("low", () => d.Clamp(ten, float.NaN, 0f, other, 10));
        TestData.Refused("dInput", () => d.ClampBackward(ten, 0f, 1f, other, four, 10));
        TestData.Refused("high", () => d.ClampBackward(ten, 0f, float.NaN, other, other, 10));
        TestData.Refused("a", () => d.Minimum(four, ten, other, 10));
        TestData.Refused("b", () => d.Maximum(ten, four, other, 10));
        TestData.Refused("output", () => d.SelectBackward(ten, ten, four, ten, other, other, 10));
        TestData.Refused("dA", () => d.SelectBackward(ten, ten, ten, ten, four, other, 10));
        TestData.Refused("dB", () => d.SelectBackward(ten, ten, ten, ten, other, four, 10));
        TestData.Refused("weights", () => d.RowSum(ten, four, four, 2, 5));
        TestData.Refused("output", () => d.RowSum(ten, other, four.Sub(0, 1), 2, 5));
        TestData.Refused("cols", () => d.RowSum(ten, other, four, 2, -5));
        TestData.Refused("dOutput", () => d.RowSumBackward(four.Sub(0, 1), ten, other, 2, 5));
        TestData.Refused("dInput", () => d.RowSumBackward(four, ten, four, 2, 5));
        // A shifted overlap of input and output is refused; the same memory (in place) is not.
        using DeviceBuffer<float> shared = d.Allocate<float>(20);
        TestData.Refused("output", () => d.Exp(shared.Slice(0, 10), shared.Slice(3, 10), 10));
        d.Exp(shared.Slice(0, 10), shared.Slice(0, 10), 10);
    }

    // log σ(x) = −log(1 + e^−x) in double; for x ≥ 0 with e^−x small, 1 + e^−x would lose e^−x's digits, so the
    // logarithm's series −(e − e²/2 + e³/3) stands in for it.
    private static double LogSigmoid(double x)
    {
        if (x < 0) return x + LogSigmoid(-x); // log σ(x) = x + log σ(−x)
        double e = Math.Exp(-x);
        return e < 1e-4 ? -(e - e * e / 2 + e * e * e / 3) : -Math.Log(1 + e);
    }

    private static float[] Map(int n, Func<int, double> f)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)f(i);
        return values;
    }
}

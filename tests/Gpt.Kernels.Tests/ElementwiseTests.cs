using Gpt.Kernels.Devices.Cpu;
using Gpt.Kernels.Random;

namespace Gpt.Kernels.Tests;

public class ElementwiseTests
{
    public static TheoryData<int> Sizes => new(TestData.Sizes.Append(100_003));

    [Theory, MemberData(nameof(Sizes))]
    public void FastArithmeticIsBitIdenticalToReference(int count)
    {
        float[] a = TestData.Uniform(count, 1), b = TestData.Uniform(count, 2);
        float[] expected = new float[count], actual = new float[count];

        ElementwiseKernels.Add(a, b, expected, count);
        CpuElementwise.Add(a, b, actual, count);
        TestData.BitEqual(expected, actual);

        float[] accumulatorRef = (float[])a.Clone(), accumulatorFast = (float[])a.Clone();
        ElementwiseKernels.AddInPlace(accumulatorRef, b, count);
        CpuElementwise.AddInPlace(accumulatorFast, b, count);
        TestData.BitEqual(accumulatorRef, accumulatorFast);
        TestData.BitEqual(expected, accumulatorFast);

        ElementwiseKernels.Scale(a, -0.37f, expected, count);
        CpuElementwise.Scale(a, -0.37f, actual, count);
        TestData.BitEqual(expected, actual);

        ElementwiseKernels.Fill(expected, 2.5f, count);
        CpuElementwise.Fill(actual, 2.5f, count);
        TestData.BitEqual(expected, actual);
        Assert.All(actual, v => Assert.Equal(2.5f, v));

        CpuElementwise.Copy(b, actual, count);
        TestData.BitEqual(b, actual);

        ElementwiseKernels.Multiply(a, b, expected, count);
        CpuElementwise.Multiply(a, b, actual, count);
        TestData.BitEqual(expected, actual);

        float[] macRef = TestData.Uniform(count, 3), macFast = (float[])macRef.Clone();
        ElementwiseKernels.MultiplyAccumulate(a, b, macRef, count);
        CpuElementwise.MultiplyAccumulate(a, b, macFast, count);
        TestData.BitEqual(macRef, macFast);
    }

    [Fact]
    public void OutputMayAliasAnInput()
    {
        float[] a = TestData.Uniform(1000, 3), b = TestData.Uniform(1000, 4), expected = new float[1000];
        ElementwiseKernels.Add(a, b, expected, 1000);
        float[] aliasA = (float[])a.Clone(), aliasB = (float[])b.Clone();
        CpuElementwise.Add(aliasA, b, aliasA, 1000);
        ElementwiseKernels.Add(a, aliasB, aliasB, 1000);
        TestData.BitEqual(expected, aliasA);
        TestData.BitEqual(expected, aliasB);

        ElementwiseKernels.Scale(a, 3f, expected, 1000);
        CpuElementwise.Scale(aliasA = (float[])a.Clone(), 3f, aliasA, 1000);
        TestData.BitEqual(expected, aliasA);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void FastDropoutIsBitIdenticalToReference(int count)
    {
        const float p = 0.3f;
        const ulong seed = 42;
        float[] x = TestData.Uniform(count, 5), dy = TestData.Uniform(count, 6);
        float[] yRef = new float[count], yFast = new float[count];
        ElementwiseKernels.DropoutForward(x, yRef, count, p, seed);
        CpuElementwise.DropoutForward(x, yFast, count, p, seed);
        TestData.BitEqual(yRef, yFast);

        float[] dxRef = TestData.Uniform(count, 7), dxFast = (float[])dxRef.Clone();
        ElementwiseKernels.DropoutBackward(dy, dxRef, count, p, seed);
        CpuElementwise.DropoutBackward(dy, dxFast, count, p, seed);
        TestData.BitEqual(dxRef, dxFast);
    }

    [Fact]
    public void DropoutKeepsTheDocumentedMaskAndScales()
    {
        const int count = 100_000;
        const float p = 0.25f;
        const ulong seed = 7;
        float[] ones = Enumerable.Repeat(1f, count).ToArray(), y = new float[count];
        CpuElementwise.DropoutForward(ones, y, count, p, seed);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            bool keep = CounterRng.ToUnitFloat(CounterRng.Hash(seed, (ulong)i)) >= p;
            Assert.Equal(keep ? 1f / (1f - p) : 0f, y[i]);
            if (keep) kept++;
        }
        // Binomial(100000, 0.75): standard deviation ~137; 5 sigma.
        Assert.InRange(kept, 75_000 - 700, 75_000 + 700);

        var other = new float[count];
        CpuElementwise.DropoutForward(ones, other, count, p, seed + 1);
        Assert.NotEqual(y, other);

        CpuElementwise.DropoutForward(ones, other, count, 0f, seed);
        TestData.BitEqual(ones, other);
    }

    [Fact]
    public void ReferenceDropoutBackwardMatchesFiniteDifferences()
    {
        const int count = 50;
        float[] x = TestData.Uniform(count, 8), lossWeights = TestData.Uniform(count, 9), y = new float[count];
        double Loss()
        {
            ElementwiseKernels.DropoutForward(x, y, count, 0.4f, 99);
            return TestData.Dot(y, lossWeights);
        }
        var dx = new float[count];
        ElementwiseKernels.DropoutBackward(lossWeights, dx, count, 0.4f, 99);
        GradientCheck.Check(x, dx, Loss);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        float[] x = new float[8];
        TestData.Refused("count", () => CpuElementwise.Add(x, x, x, -1));
        TestData.Refused("b", () => ElementwiseKernels.Add(x, new float[7], x, 8));
        TestData.Refused("output", () => CpuElementwise.Add(x, x, new float[7], 8));
        TestData.Refused("output", () => CpuElementwise.Add(x, new float[8], x.AsSpan(1), 7));
        TestData.Refused("accumulator", () => CpuElementwise.AddInPlace(new float[7], x, 8));
        TestData.Refused("x", () => ElementwiseKernels.Scale(new float[7], 2f, x, 8));
        TestData.Refused("output", () => CpuElementwise.Fill(new float[7], 1f, 8));
        TestData.Refused("output", () => CpuElementwise.Copy(x.AsSpan(0, 7), x.AsSpan(1), 7));
        foreach (float p in new[] { -0.1f, 1f, float.NaN })
        {
            TestData.Refused("p", () => ElementwiseKernels.DropoutForward(x, new float[8], 8, p, 1));
            TestData.Refused("p", () => CpuElementwise.DropoutForward(x, new float[8], 8, p, 1));
            TestData.Refused("p", () => CpuElementwise.DropoutBackward(x, new float[8], 8, p, 1));
        }
    }
}

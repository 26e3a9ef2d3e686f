using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class GeluTests
{
    public static TheoryData<int> Sizes => new(TestData.Sizes.Append(100_003));

    [Fact]
    public void ReferenceForwardMatchesTheFormulaInDouble()
    {
        float[] x = [-6f, -3f, -1f, -0.1f, 0f, 0.1f, 1f, 3f, 6f];
        var y = new float[x.Length];
        GeluKernels.Forward(x, y, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double expected = 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            Assert.True(Math.Abs(expected - y[i]) <= 1e-6 * (1 + Math.Abs(v)), $"gelu({v}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int count = 64;
        float[] x = TestData.Uniform(count, 1, 4f), lossWeights = TestData.Uniform(count, 2);
        var y = new float[count];
        double Loss()
        {
            GeluKernels.Forward(x, y, count);
            return TestData.Dot(y, lossWeights);
        }
        var dx = new float[count];
        GeluKernels.Backward(x, lossWeights, dx, count);
        GradientCheck.Check(x, dx, Loss, h: 1e-3f);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void FastMatchesReference(int count)
    {
        float[] x = TestData.Uniform(count, count, 6f), dy = TestData.Uniform(count, count + 1);
        var yRef = new float[count];
        var yFast = new float[count];
        GeluKernels.Forward(x, yRef, count);
        CpuGelu.Forward(x, yFast, count);
        // The reference forms 0.5 x (1 + tanh a), the fast path x / (1 + exp(-2a)); where tanh a is
        // near -1 the reference's 1 + tanh loses bits, so the error is a few ulps of |x|, not of y.
        AssertCloseScaledByInput(x, yRef, yFast);

        float[] dxRef = TestData.Uniform(count, count + 2), dxFast = (float[])dxRef.Clone();
        GeluKernels.Backward(x, dy, dxRef, count);
        CpuGelu.Backward(x, dy, dxFast, count);
        AssertCloseScaledByInput(x, dxRef, dxFast);
    }

    [Fact]
    public void InPlaceForwardEqualsOutOfPlace()
    {
        float[] x = TestData.Uniform(1000, 3, 5f), y = new float[1000], inPlace = (float[])x.Clone();
        CpuGelu.Forward(x, y, 1000);
        CpuGelu.Forward(inPlace, inPlace, 1000);
        TestData.BitEqual(y, inPlace);
        float[] reference = (float[])x.Clone();
        GeluKernels.Forward(reference, reference, 1000);
        AssertCloseScaledByInput(x, reference, inPlace);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        float[] x = new float[8];
        TestData.Refused("count", () => GeluKernels.Forward(x, x, -1));
        TestData.Refused("output", () => CpuGelu.Forward(x, new float[7], 8));
        TestData.Refused("input", () => GeluKernels.Forward(new float[7], x, 8));
        TestData.Refused("dInput", () => CpuGelu.Backward(x, x, new float[7], 8));
        TestData.Refused("dOutput", () => GeluKernels.Backward(x, new float[7], x, 8));
        TestData.Refused("output", () => CpuGelu.Forward(x.AsSpan(0, 7), x.AsSpan(1), 7));
    }

    private static void AssertCloseScaledByInput(float[] x, float[] expected, float[] actual)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float limit = 1e-6f * (1f + Math.Abs(x[i])) + 2e-6f * Math.Abs(expected[i]);
            float error = Math.Abs(expected[i] - actual[i]);
            if (!(error <= limit)) Assert.Fail($"x = {x[i]:R}: expected {expected[i]:R}, actual {actual[i]:R}, error {error:E3} > {limit:E3}");
        }
    }
}

using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class SoftmaxTests
{
    public static TheoryData<int, int> Shapes => TestData.RowShapes();

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int rows = 3, cols = 11;
        float[] x = TestData.Uniform(rows * cols, 1, 3f), lossWeights = TestData.Uniform(rows * cols, 2);
        var y = new float[rows * cols];
        double Loss()
        {
            SoftmaxKernels.Forward(x, y, rows, cols);
            return TestData.Dot(y, lossWeights);
        }
        Loss();
        var dx = new float[rows * cols];
        SoftmaxKernels.Backward(y, lossWeights, dx, rows, cols);
        GradientCheck.Check(x, dx, Loss);
    }

    [Fact]
    public void ReferenceForwardIsStableForLargeScores()
    {
        float[] x = [1000f, 1001f, 999f, -1000f];
        var y = new float[4];
        SoftmaxKernels.Forward(x, y, 1, 4);
        double e0 = Math.Exp(-1), e2 = Math.Exp(-2), sum = e0 + 1 + e2;
        Assert.Equal(e0 / sum, y[0], 1e-6);
        Assert.Equal(1 / sum, y[1], 1e-6);
        Assert.Equal(e2 / sum, y[2], 1e-6);
        Assert.Equal(0f, y[3]);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReference(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, 3, 8f), dy = TestData.Uniform(rows * cols, 4);
        var yRef = new float[rows * cols];
        var yFast = new float[rows * cols];
        SoftmaxKernels.Forward(x, yRef, rows, cols);
        CpuSoftmax.Forward(x, yFast, rows, cols);
        // exp differs by an ulp or so and the row sum is taken in another order.
        TestData.Close(yRef, yFast, 1e-5f, 1e-9f);

        float[] dxRef = TestData.Uniform(rows * cols, 5), dxFast = (float[])dxRef.Clone();
        SoftmaxKernels.Backward(yRef, dy, dxRef, rows, cols);
        CpuSoftmax.Backward(yRef, dy, dxFast, rows, cols);
        // The dot product is summed in another order; (dy - dot) may cancel, so compare to the scale.
        TestData.CloseToScale(dxRef, dxFast, 1e-5f);

        var inPlace = (float[])x.Clone();
        CpuSoftmax.Forward(inPlace, inPlace, rows, cols);
        TestData.BitEqual(yFast, inPlace);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        float[] x = new float[12];
        TestData.Refused("rows", () => SoftmaxKernels.Forward(x, x, -3, 4));
        TestData.Refused("cols", () => CpuSoftmax.Forward(x, x, 3, -4));
        TestData.Refused("input", () => CpuSoftmax.Forward(new float[11], x, 3, 4));
        TestData.Refused("output", () => SoftmaxKernels.Forward(x, new float[11], 3, 4));
        TestData.Refused("dInput", () => CpuSoftmax.Backward(x, x, new float[11], 3, 4));
        TestData.Refused("dOutput", () => SoftmaxKernels.Backward(x, new float[11], x, 3, 4));
    }
}

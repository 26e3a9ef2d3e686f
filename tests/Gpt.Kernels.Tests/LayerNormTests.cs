using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class LayerNormTests
{
    private const float Epsilon = 1e-5f;

    public static TheoryData<int, int> Shapes => TestData.RowShapes();

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int rows = 3, cols = 17;
        float[] x = TestData.Uniform(rows * cols, 1, 2f), weight = TestData.Uniform(cols, 2);
        float[] bias = TestData.Uniform(cols, 3), lossWeights = TestData.Uniform(rows * cols, 4);
        var y = new float[rows * cols];
        var mean = new float[rows];
        var rstd = new float[rows];
        double Loss()
        {
            LayerNormKernels.Forward(x, weight, bias, y, mean, rstd, rows, cols, Epsilon);
            return TestData.Dot(y, lossWeights);
        }

        Loss();
        var dx = new float[rows * cols];
        var dWeight = new float[cols];
        var dBias = new float[cols];
        LayerNormKernels.Backward(lossWeights, x, weight, mean, rstd, dx, dWeight, dBias, rows, cols);
        GradientCheck.Check(x, dx, Loss);
        GradientCheck.Check(weight, dWeight, Loss);
        GradientCheck.Check(bias, dBias, Loss);
    }

    [Fact]
    public void ReferenceForwardNormalisesEachRow()
    {
        const int rows = 4, cols = 33;
        float[] x = TestData.Uniform(rows * cols, 5, 3f);
        float[] ones = Enumerable.Repeat(1f, cols).ToArray(), zeros = new float[cols];
        var y = new float[rows * cols];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(x, ones, zeros, y, mean, rstd, rows, cols, Epsilon);
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int c = 0; c < cols; c++) m += x[r * cols + c];
            m /= cols;
            for (int c = 0; c < cols; c++) v += (x[r * cols + c] - m) * (x[r * cols + c] - m);
            v /= cols; // biased, as PyTorch
            Assert.Equal(m, mean[r], 1e-5);
            Assert.Equal(1 / Math.Sqrt(v + Epsilon), rstd[r], 1e-4);
            for (int c = 0; c < cols; c++) Assert.Equal((x[r * cols + c] - m) / Math.Sqrt(v + Epsilon), y[r * cols + c], 1e-4);
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReference(int rows, int cols)
    {
        // An offset mean makes the variance's cancellation realistic.
        float[] x = TestData.Uniform(rows * cols, 10, 2f).Select(v => v + 0.5f).ToArray();
        float[] weight = TestData.Uniform(cols, 11), bias = TestData.Uniform(cols, 12), dy = TestData.Uniform(rows * cols, 13);
        var (yRef, meanRef, rstdRef) = (new float[rows * cols], new float[rows], new float[rows]);
        var (yFast, meanFast, rstdFast) = (new float[rows * cols], new float[rows], new float[rows]);
        LayerNormKernels.Forward(x, weight, bias, yRef, meanRef, rstdRef, rows, cols, Epsilon);
        CpuLayerNorm.Forward(x, weight, bias, yFast, meanFast, rstdFast, rows, cols, Epsilon);
        // Row sums of up to 771 floats in a different order: relative error ~ sqrt(cols) ulps.
        TestData.Close(meanRef, meanFast, 1e-5f, 1e-6f);
        TestData.Close(rstdRef, rstdFast, 1e-5f);
        TestData.CloseToScale(yRef, yFast, 1e-5f);

        // Pre-filled gradients check the += contract.
        float[] dxRef = TestData.Uniform(rows * cols, 14), dwRef = TestData.Uniform(cols, 15), dbRef = TestData.Uniform(cols, 16);
        float[] dxFast = (float[])dxRef.Clone(), dwFast = (float[])dwRef.Clone(), dbFast = (float[])dbRef.Clone();
        LayerNormKernels.Backward(dy, x, weight, meanRef, rstdRef, dxRef, dwRef, dbRef, rows, cols);
        CpuLayerNorm.Backward(dy, x, weight, meanRef, rstdRef, dxFast, dwFast, dbFast, rows, cols);
        TestData.CloseToScale(dxRef, dxFast, 1e-5f);
        // Same operations in the same row order, no fused multiply-add: identical bits.
        TestData.BitEqual(dwRef, dwFast);
        TestData.BitEqual(dbRef, dbFast);
    }

    [Fact]
    public void FrozenWeightAndBiasLeaveTheInputGradientUnchanged()
    {
        const int rows = 9, cols = 70;
        float[] x = TestData.Uniform(rows * cols, 20), weight = TestData.Uniform(cols, 21), dy = TestData.Uniform(rows * cols, 22);
        var y = new float[rows * cols];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(x, weight, new float[cols], y, mean, rstd, rows, cols, Epsilon);
        var full = new float[rows * cols];
        var frozenReference = new float[rows * cols];
        var frozenFast = new float[rows * cols];
        LayerNormKernels.Backward(dy, x, weight, mean, rstd, full, new float[cols], new float[cols], rows, cols);
        LayerNormKernels.Backward(dy, x, weight, mean, rstd, frozenReference, [], [], rows, cols);
        CpuLayerNorm.Backward(dy, x, weight, mean, rstd, frozenFast, [], [], rows, cols);
        TestData.BitEqual(full, frozenReference);
        TestData.CloseToScale(full, frozenFast, 1e-5f);
    }

    [Fact]
    public void FastBackwardIsDeterministic()
    {
        const int rows = 256, cols = 768;
        float[] x = TestData.Uniform(rows * cols, 30), weight = TestData.Uniform(cols, 31), dy = TestData.Uniform(rows * cols, 32);
        var y = new float[rows * cols];
        var mean = new float[rows];
        var rstd = new float[rows];
        CpuLayerNorm.Forward(x, weight, new float[cols], y, mean, rstd, rows, cols, Epsilon);
        float[] Run(out float[] dw, out float[] db)
        {
            var dx = new float[rows * cols];
            dw = new float[cols];
            db = new float[cols];
            CpuLayerNorm.Backward(dy, x, weight, mean, rstd, dx, dw, db, rows, cols);
            return dx;
        }
        float[] dx1 = Run(out float[] dw1, out float[] db1), dx2 = Run(out float[] dw2, out float[] db2);
        TestData.BitEqual(dx1, dx2);
        TestData.BitEqual(dw1, dw2);
        TestData.BitEqual(db1, db2);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        float[] x = new float[12], w = new float[4], b = new float[4], y = new float[12], m = new float[3], s = new float[3];
        foreach (bool fast in new[] { false, true })
        {
            void Forward(float[] input, float[] weight, float[] output, float[] mean, int rows, int cols, float eps)
            {
                if (fast) CpuLayerNorm.Forward(input, weight, b, output, mean, s, rows, cols, eps);
                else LayerNormKernels.Forward(input, weight, b, output, mean, s, rows, cols, eps);
            }
            void Backward(float[] dInput, float[] dWeight, int rows, int cols)
            {
                if (fast) CpuLayerNorm.Backward(y, x, w, m, s, dInput, dWeight, b, rows, cols);
                else LayerNormKernels.Backward(y, x, w, m, s, dInput, dWeight, b, rows, cols);
            }
            TestData.Refused("rows", () => Forward(x, w, y, m, -1, 4, Epsilon));
            TestData.Refused("input", () => Forward(new float[11], w, y, m, 3, 4, Epsilon));
            TestData.Refused("weight", () => Forward(x, new float[3], y, m, 3, 4, Epsilon));
            TestData.Refused("output", () => Forward(x, w, new float[8], m, 3, 4, Epsilon));
            TestData.Refused("mean", () => Forward(x, w, y, new float[2], 3, 4, Epsilon));
            TestData.Refused("epsilon", () => Forward(x, w, y, m, 3, 4, float.NaN));
            TestData.Refused("dInput", () => Backward(new float[11], new float[4], 3, 4));
            TestData.Refused("dWeight", () => Backward(new float[12], new float[3], 3, 4));
        }
    }
}

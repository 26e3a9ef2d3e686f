using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class ReduceTests
{
    public static TheoryData<int> Sizes => new(TestData.Sizes.Append(1_000_003));

    [Theory, MemberData(nameof(Sizes))]
    public void FastSumsMatchReference(int count)
    {
        float[] x = TestData.Uniform(count, count).Select(v => v + 0.25f).ToArray();
        // Both sum in double; only the order differs (chunks, lanes): ~count * 1e-16 relative at worst.
        Assert.Equal(ReduceKernels.Sum(x), CpuReduce.Sum(x), 1e-9 * Math.Max(1, Math.Abs(ReduceKernels.Sum(x))));
        Assert.Equal(ReduceKernels.SumOfSquares(x), CpuReduce.SumOfSquares(x), 1e-9 * ReduceKernels.SumOfSquares(x));
    }

    [Fact]
    public void SumsAreExactOnIntegers()
    {
        float[] x = Enumerable.Range(1, 100_000).Select(i => (float)i).ToArray();
        Assert.Equal(5_000_050_000.0, CpuReduce.Sum(x));
        Assert.Equal(5_000_050_000.0, ReduceKernels.Sum(x));
        Assert.Equal(333_338_333_350_000.0, CpuReduce.SumOfSquares(x));
        Assert.Equal(0.0, CpuReduce.Sum([]));
    }

    [Fact]
    public void FastSumsAreDeterministic()
    {
        float[] x = TestData.Uniform(3_000_001, 1);
        Assert.Equal(BitConverter.DoubleToInt64Bits(CpuReduce.Sum(x)), BitConverter.DoubleToInt64Bits(CpuReduce.Sum(x)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(CpuReduce.SumOfSquares(x)), BitConverter.DoubleToInt64Bits(CpuReduce.SumOfSquares(x)));
    }

    [Theory, MemberData(nameof(TestData.RowShapes), MemberType = typeof(TestData))]
    public void FastColumnSumIsBitIdenticalToReference(int rows, int cols)
    {
        float[] input = TestData.Uniform(rows * cols, 2), expected = TestData.Uniform(cols, 3), actual = (float[])expected.Clone();
        ReduceKernels.ColumnSum(input, expected, rows, cols);
        CpuReduce.ColumnSum(input, actual, rows, cols);
        // Both sum each column in row order, in float.
        TestData.BitEqual(expected, actual);
    }

    [Fact]
    public void FastColumnSumIsDeterministicAtScale()
    {
        const int rows = 1024, cols = 768;
        float[] input = TestData.Uniform(rows * cols, 4), first = new float[cols], second = new float[cols], reference = new float[cols];
        CpuReduce.ColumnSum(input, first, rows, cols);
        CpuReduce.ColumnSum(input, second, rows, cols);
        ReduceKernels.ColumnSum(input, reference, rows, cols);
        TestData.BitEqual(first, second);
        TestData.BitEqual(reference, first);
    }

    [Fact]
    public void ColumnSumIsTheBiasGradient()
    {
        // L = sum((x + broadcast bias) * w): dL/dbias is the column sum of w.
        const int rows = 6, cols = 5;
        float[] x = TestData.Uniform(rows * cols, 5), bias = TestData.Uniform(cols, 6), lossWeights = TestData.Uniform(rows * cols, 7);
        var y = new float[rows * cols];
        double Loss()
        {
            for (int r = 0; r < rows; r++)
                ElementwiseKernels.Add(x.AsSpan(r * cols, cols), bias, y.AsSpan(r * cols, cols), cols);
            return TestData.Dot(y, lossWeights);
        }
        var dBias = new float[cols];
        ReduceKernels.ColumnSum(lossWeights, dBias, rows, cols);
        GradientCheck.Check(bias, dBias, Loss);
    }

    [Fact]
    public void MaxAndArgMaxMatchReference()
    {
        float[][] cases =
        [
            [3f],
            [1f, 5f, 5f, 2f],
            [-0f, 0f, -1f],
            [-3f, -1f, -2f, -1f],
            [1f, float.NaN, 7f, float.NaN],
            [float.NegativeInfinity, float.NegativeInfinity],
            TestData.Uniform(1027, 8),
            TestData.Uniform(50257, 9),
        ];
        foreach (float[] x in cases)
        {
            Assert.Equal(ReduceKernels.Max(x), CpuReduce.Max(x));
            Assert.Equal(ReduceKernels.ArgMax(x), CpuReduce.ArgMax(x));
        }
        Assert.Equal(1, CpuReduce.ArgMax([1f, 5f, 5f, 2f]));
        Assert.Equal(1, ReduceKernels.ArgMax([-0f, 0f, -1f]));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        TestData.Refused("x", () => CpuReduce.Max([]));
        TestData.Refused("x", () => ReduceKernels.ArgMax([]));
        TestData.Refused("rows", () => CpuReduce.ColumnSum(new float[4], new float[2], -2, 2));
        TestData.Refused("input", () => ReduceKernels.ColumnSum(new float[3], new float[2], 2, 2));
        TestData.Refused("output", () => CpuReduce.ColumnSum(new float[4], new float[1], 2, 2));
    }
}

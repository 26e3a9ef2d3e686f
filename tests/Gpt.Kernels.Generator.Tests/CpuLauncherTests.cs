using Gpt.Kernels.Compute;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels.Generator.Tests;

/// <summary>The generated CPU launchers run the C# kernel body over the grid and agree with plain loops.</summary>
public class CpuLauncherTests
{
    private static float[] RandomValues(int count, int seed = 1234)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 8 - 4);
        return values;
    }

    [Fact]
    public void Saxpy_MatchesALoop()
    {
        float[] x = RandomValues(1000), y = RandomValues(1000, 99), expected = (float[])y.Clone();
        for (int i = 0; i < x.Length; i++) expected[i] = MathF.FusedMultiplyAdd(0.75f, x[i], expected[i]);

        CpuSampleKernels.SaxpyKernel.LaunchCpu(groups: 4, groupSize: 256, x, y, 0.75f, x.Length);

        Assert.Equal(expected, y);
    }

    [Fact]
    public void Coordinates_CoverAThreeDimensionalGrid()
    {
        const int depth = 3, rows = 7, cols = 10;
        var output = new int[depth * rows * cols];

        CpuSampleKernels.CoordinatesKernel.LaunchCpu(new Dim3(3, 2, 2), new Dim3(4, 4, 2), output, depth, rows, cols);

        for (int z = 0; z < depth; z++)
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            Assert.Equal(z * 1000000 + r * 1000 + c, output[(z * rows + r) * cols + c]);
    }

    [Fact]
    public void GroupAndGridIndices_DescribeEachThread()
    {
        var output = new int[3 * 8];

        CpuSampleKernels.PlacementKernel.LaunchCpu(3, 8, output);

        for (int g = 0; g < output.Length; g++) Assert.Equal(g / 8 * 1000000 + g % 8 * 10000 + 8 * 100 + 3, output[g]);
    }

    [Fact]
    public void Histogram_WithAtomics_CountsEveryValue()
    {
        var random = new System.Random(1234);
        var values = new int[5000];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(1000);
        var expected = new int[7];
        foreach (int v in values) expected[v % 7]++;
        var bins = new int[7];

        CpuSampleKernels.HistogramKernel.LaunchCpu(20, 256, values, bins, values.Length);

        Assert.Equal(expected, bins);
    }

    [Fact]
    public void SharedMemory_WithoutBarriers_RunsOnTheCpu()
    {
        var output = new int[4 * 32];

        CpuSampleKernels.ThroughSharedKernel.LaunchCpu(4, 32, output);

        Assert.Equal(Enumerable.Range(0, output.Length).Select(g => 2 * g), output);
        Assert.Equal(32 * sizeof(int) + 8 * sizeof(float), CpuSampleKernels.ThroughSharedKernel.Descriptor.SharedMemoryBytes);
    }

    [Fact]
    public void RowSums_ThroughSubViewAndHelper_MatchALoop()
    {
        const int rows = 33, cols = 17;
        float[] matrix = RandomValues(rows * cols), sums = new float[rows], expected = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float s = 0f;
            for (int c = 0; c < cols; c++) s += matrix[r * cols + c];
            expected[r] = s;
        }

        CpuSampleKernels.RowSumsKernel.LaunchCpu(2, 32, matrix, sums, rows, cols);

        Assert.Equal(expected, sums);
    }

    [Fact]
    public void ElementwiseGpuKernels_OnTheCpu_MatchTheReferenceKernels()
    {
        const int n = 777;
        float[] a = RandomValues(n, 1), b = RandomValues(n, 2);
        Dim3 groups = (n + 255) / 256, size = 256;
        var expected = new float[n];
        var actual = new float[n];

        ElementwiseKernels.Add(a, b, expected, n);
        ElementwiseGpuKernels.AddKernel.LaunchCpu(groups, size, a, b, actual, n);
        Assert.Equal(expected, actual);

        ElementwiseKernels.Scale(a, -1.5f, expected, n);
        ElementwiseGpuKernels.ScaleKernel.LaunchCpu(groups, size, a, -1.5f, actual, n);
        Assert.Equal(expected, actual);

        ElementwiseKernels.Fill(expected, 3.25f, n);
        ElementwiseGpuKernels.FillKernel.LaunchCpu(groups, size, actual, 3.25f, n);
        Assert.Equal(expected, actual);

        ElementwiseGpuKernels.CopyKernel.LaunchCpu(groups, size, b, actual, n);
        Assert.Equal(b, actual);

        GeluKernels.Forward(a, expected, n);
        ElementwiseGpuKernels.GeluForwardKernel.LaunchCpu(groups, size, a, actual, n);
        Assert.Equal(expected, actual);

        Array.Copy(b, expected, n);
        Array.Copy(b, actual, n);
        GeluKernels.Backward(a, b, expected, n);
        ElementwiseGpuKernels.GeluBackwardKernel.LaunchCpu(groups, size, a, b, actual, n);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void KernelWithBarriers_HasNoCpuLauncher()
    {
        var descriptor = SoftmaxGpuKernels.ForwardKernel.Descriptor;

        Assert.Null(typeof(SoftmaxGpuKernels.ForwardKernel).GetMethod("LaunchCpu"));
        Assert.True(descriptor.UsesBarriers);
        Assert.Equal(SoftmaxGpuKernels.MaxGroupSize * sizeof(float), descriptor.SharedMemoryBytes);
        Assert.Contains("__local float scratch[256];", descriptor.OpenCLSource);
        Assert.Contains("__shared__ float scratch[256];", descriptor.CudaSource);
    }

    [Fact]
    public void IndexOutsideAView_ThrowsToTheCaller()
    {
        var x = new float[10];
        var y = new float[10];

        var error = Assert.Throws<IndexOutOfRangeException>(() =>
            CpuSampleKernels.SaxpyKernel.LaunchCpu(1, 16, x, y, 1f, 16));
        Assert.Contains("outside a view of 10 elements", error.Message);
    }

    [Fact]
    public void EmptyGrid_IsRefused()
    {
        var x = new float[1];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CpuSampleKernels.SaxpyKernel.LaunchCpu(new Dim3(1, 0), 16, x, x, 1f, 1));
        Assert.Equal("groups", error.ParamName);
    }

    [Fact]
    public void IntrinsicsOutsideALaunch_SayHowToRunAKernel()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Grid.GlobalIndex);

        Assert.Contains("LaunchCpu", error.Message);
    }
}

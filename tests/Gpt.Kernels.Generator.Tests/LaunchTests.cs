using Gpt.Kernels.Compute;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels.Generator.Tests;

/// <summary>The generated GPU launchers hand the descriptor, grid and typed arguments to an <see cref="IKernelRunner"/>.</summary>
public class LaunchTests
{
    private sealed class RecordingRunner : IKernelRunner
    {
        public KernelDescriptor? Kernel;
        public Dim3 Groups, GroupSize;
        public KernelArgument[] Arguments = new KernelArgument[8];
        public int Count;

        public void Launch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments)
        {
            Kernel = kernel;
            Groups = groups;
            GroupSize = groupSize;
            Count = arguments.Length;
            arguments.CopyTo(Arguments);
        }
    }

    [Fact]
    public void Launch_PassesSlicesAndScalarsInOrder()
    {
        using var buffer = Device.Cpu.Allocate<float>(100);
        var runner = new RecordingRunner();

        ElementwiseGpuKernels.ScaleKernel.Launch(runner, 2, 64, buffer.Slice(10, 50), 0.5f, buffer.Slice(60, 40), 40);

        Assert.Same(ElementwiseGpuKernels.ScaleKernel.Descriptor, runner.Kernel);
        Assert.Equal(new Dim3(2), runner.Groups);
        Assert.Equal(new Dim3(64), runner.GroupSize);
        Assert.Equal(4, runner.Count);
        var x = runner.Arguments[0];
        Assert.Equal((KernelArgumentKind.Buffer, KernelValueType.Float32, 10L, 50), (x.Kind, x.Type, x.Offset, x.Length));
        Assert.Same(buffer, x.BufferObject);
        var alpha = runner.Arguments[1];
        Assert.Equal((KernelArgumentKind.Scalar, KernelValueType.Float32, 4), (alpha.Kind, alpha.Type, alpha.Size));
        Assert.Equal((ulong)BitConverter.SingleToUInt32Bits(0.5f), alpha.ScalarBits);
        Assert.Equal(60L, runner.Arguments[2].Offset);
        Assert.Equal((KernelValueType.Int32, 40UL), (runner.Arguments[3].Type, runner.Arguments[3].ScalarBits));
    }

    [Fact]
    public void Launch_DoesNotAllocate()
    {
        using var buffer = Device.Cpu.Allocate<float>(16);
        var runner = new RecordingRunner();
        var slice = buffer.Slice(0, 16);
        ElementwiseGpuKernels.AddKernel.Launch(runner, 1, 16, slice, slice, slice, 16);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) ElementwiseGpuKernels.AddKernel.Launch(runner, 1, 16, slice, slice, slice, 16);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Descriptor_DescribesTheParameters()
    {
        var descriptor = ElementwiseGpuKernels.GeluBackwardKernel.Descriptor;

        Assert.Equal("Gpt.Kernels.Gpu.ElementwiseGpuKernels.GeluBackward", descriptor.Name);
        Assert.Equal("gptk_GeluBackward", descriptor.EntryPoint);
        Assert.Equal(["input", "dOutput", "dInput", "count"], descriptor.Parameters.Select(p => p.Name));
        Assert.Equal(
            [KernelArgumentKind.Buffer, KernelArgumentKind.Buffer, KernelArgumentKind.Buffer, KernelArgumentKind.Scalar],
            descriptor.Parameters.Select(p => p.Kind));
        Assert.False(descriptor.UsesBarriers);
        Assert.Contains("__kernel void gptk_GeluBackward(", descriptor.OpenCLSource);
        Assert.Contains("extern \"C\" __global__ void gptk_GeluBackward(", descriptor.CudaSource);
    }

    [Fact]
    public void Launch_WithoutARunner_IsRefused()
    {
        Assert.Throws<ArgumentNullException>(() =>
            ElementwiseGpuKernels.FillKernel.Launch(null!, 1, 1, default, 1f, 0));
    }

    [Fact]
    public void ScalarArguments_CarryTheirBits()
    {
        Assert.Equal(0xFFFFFFFFUL, KernelArgument.Int(-1).ScalarBits);
        Assert.Equal(ulong.MaxValue, KernelArgument.Long(-1).ScalarBits);
        Assert.Equal(8, KernelArgument.ULong(5).Size);
        Assert.Equal((KernelValueType.UInt32, 7UL), (KernelArgument.UInt(7).Type, KernelArgument.UInt(7).ScalarBits));
        Assert.Equal(KernelValueType.Int32, KernelArgument.Buffer(default(Slice<int>)).Type);
        Assert.Null(KernelArgument.Buffer(default(Slice<int>)).BufferObject);
    }

    [Fact]
    public void Dim3_ConvertsFromIntAndCountsPoints()
    {
        Dim3 size = 5;

        Assert.Equal(new Dim3(5, 1, 1), size);
        Assert.Equal(24L, new Dim3(2, 3, 4).Size);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(-3.0, -0.9999779095030014)]
    [InlineData(5.5, 0.9999999999999927)]
    public void Erf_MatchesTabulatedValues(double x, double expected)
    {
        Assert.Equal((float)expected, KernelMath.Erf((float)x));
        Assert.Equal(expected, ErrorFunction.Erf(x), 1e-15);
    }

    // ln(1 + x) where a plain log(1 + x) in float loses x: 1 + 1e-10 rounds to 1.
    [Theory]
    [InlineData(1e-10, 9.9999999995e-11)]
    [InlineData(3.7200759760208361e-44, 3.7200759760208361e-44)]
    [InlineData(1.0, 0.69314718055994531)]
    [InlineData(-0.5, -0.69314718055994531)]
    [InlineData(1e6, 13.815511557963774)]
    public void Log1p_MatchesTabulatedValues(double x, double expected)
    {
        Assert.Equal((float)expected, KernelMath.Log1p((float)x));
    }
}

using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cuda;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>The CUDA runtime: the shared checks on a GPU where one is present, and a clear error where none is.</summary>
public sealed class CudaDeviceTests
{
    private static CudaDevice Open() => CudaDevice.Open(cache: new KernelCache(null));

    [NoCudaFact]
    public void AbsentCudaIsAClearErrorNeverAFallback()
    {
        Assert.False(CudaDevice.IsAvailable(out string reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
        var error = Assert.Throws<NotSupportedException>(() => Device.Get(DeviceKind.Cuda));
        Assert.Contains(reason, error.Message);
        if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out _))
        {
            // No driver at all: the message names the library and what to install.
            Assert.Contains("libcuda.so.1", error.Message);
            Assert.Contains("NVIDIA driver", error.Message);
            Assert.Throws<NotSupportedException>(() => CudaDevice.Open());
        }
    }

    [CudaFact]
    public void OpensTheFirstGpu()
    {
        using CudaDevice device = Open();
        Assert.Equal(DeviceKind.Cuda, device.Kind);
        Assert.True(device.ComputeCapability.Major >= 3 && device.MultiprocessorCount > 0 && device.TotalMemoryBytes > 0, device.Name);
        Assert.True(device.MaxGroupSize >= 256);
    }

    [CudaFact]
    public void BuffersRoundTrip()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.BuffersRoundTrip(device);
    }

    [CudaFact]
    public void KernelWithSliceOffsetsMatchesTheCpu()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.AxpyMatchesCpu(device);
    }

    [CudaFact]
    public void SixtyFourBitScalarsArriveWhole()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.SixtyFourBitScalarsArriveWhole(device);
    }

    [CudaFact]
    public void GroupsSharedMemoryAndBarriers()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.GroupsSharedMemoryAndBarriers(device);
    }

    [CudaFact]
    public void SteadyStateLaunchesDoNotAllocate()
    {
        using var device = Open();
        KernelRunnerChecks.SteadyStateLaunchesDoNotAllocate(device);
    }

    [CudaFact]
    public void ElementwiseOpsMatchTheCpu()
    {
        using var device = Open();
        GeneratedOpsChecks.ElementwiseOpsMatchTheCpu(device);
    }

    [CudaFact]
    public void SoftmaxMatchesTheCpu()
    {
        using var device = Open();
        GeneratedOpsChecks.SoftmaxMatchesTheCpu(device);
    }

    [CudaFact]
    public void OpsRefuseWhatTheCpuRefuses()
    {
        using var device = Open();
        GeneratedOpsChecks.OpsRefuseWhatTheCpuRefuses(device);
    }

    [CudaFact]
    public void CompileErrorCarriesTheBuildLog()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.CompileErrorCarriesTheBuildLog(device);
    }

    [CudaFact]
    public void BadLaunchesAreRefusedBeforeTheDriver()
    {
        using CudaDevice device = Open();
        KernelRunnerChecks.BadLaunchesAreRefusedBeforeTheDriver(device);
    }

    [CudaFact]
    public void DiskCacheIsHitBySecondDevice() =>
        KernelRunnerChecks.DiskCacheIsHitBySecondDevice(cache => CudaDevice.Open(cache: cache), "ptx");
}

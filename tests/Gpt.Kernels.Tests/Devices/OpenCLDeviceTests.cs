using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.OpenCL;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>The OpenCL runtime on whatever OpenCL device is installed (POCL on the CPU in CI).</summary>
public sealed class OpenCLDeviceTests
{
    // Each test opens its own device on a throw-away cache so tests neither share state nor fill ~/.cache.
    private static OpenCLDevice Open() => OpenCLDevice.Open(cache: new KernelCache(null));

    [OpenCLFact]
    public void DiscoveryDescribesEveryDevice()
    {
        IReadOnlyList<OpenCLDeviceInfo> devices = OpenCLDevice.Discover();
        Assert.NotEmpty(devices);
        Assert.All(devices, d =>
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Name));
            Assert.False(string.IsNullOrWhiteSpace(d.Platform));
            Assert.False(string.IsNullOrWhiteSpace(d.DriverVersion));
            Assert.True(d.ComputeUnits > 0 && d.MaxGroupSize > 0 && d.GlobalMemoryBytes > 0, d.ToString());
        });
    }

    [OpenCLFact]
    public void OpenPrefersAGpuElseTakesTheFirstDevice()
    {
        IReadOnlyList<OpenCLDeviceInfo> devices = OpenCLDevice.Discover();
        using OpenCLDevice device = Open();
        Assert.Equal(devices.FirstOrDefault(d => d.IsGpu) ?? devices[0], device.Info);
        Assert.Equal(DeviceKind.OpenCL, device.Kind);
        Assert.Contains(device.Info.Name, device.Name);
    }

    [OpenCLFact]
    public void BuffersRoundTrip()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.BuffersRoundTrip(device);
    }

    [OpenCLFact]
    public void KernelWithSliceOffsetsMatchesTheCpu()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.AxpyMatchesCpu(device);
    }

    [OpenCLFact]
    public void SixtyFourBitScalarsArriveWhole()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.SixtyFourBitScalarsArriveWhole(device);
    }

    [OpenCLFact]
    public void GroupsSharedMemoryAndBarriers()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.GroupsSharedMemoryAndBarriers(device);
    }

    [OpenCLFact]
    public void SteadyStateLaunchesDoNotAllocate()
    {
        using var device = Open();
        KernelRunnerChecks.SteadyStateLaunchesDoNotAllocate(device);
    }

    [OpenCLFact]
    public void ElementwiseOpsMatchTheCpu()
    {
        using var device = Open();
        GeneratedOpsChecks.ElementwiseOpsMatchTheCpu(device);
    }

    [OpenCLFact]
    public void SoftmaxMatchesTheCpu()
    {
        using var device = Open();
        GeneratedOpsChecks.SoftmaxMatchesTheCpu(device);
    }

    [OpenCLFact]
    public void OpsRefuseWhatTheCpuRefuses()
    {
        using var device = Open();
        GeneratedOpsChecks.OpsRefuseWhatTheCpuRefuses(device);
    }

    [OpenCLFact]
    public void CompileErrorCarriesTheBuildLog()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.CompileErrorCarriesTheBuildLog(device);
    }

    [OpenCLFact]
    public void BadLaunchesAreRefusedBeforeTheDriver()
    {
        using OpenCLDevice device = Open();
        KernelRunnerChecks.BadLaunchesAreRefusedBeforeTheDriver(device);
    }

    [OpenCLFact]
    public void DiskCacheIsHitBySecondDevice() =>
        KernelRunnerChecks.DiskCacheIsHitBySecondDevice(cache => OpenCLDevice.Open(cache: cache), "clbin");

    [OpenCLFact]
    public void DifferentBuildOptionsAreADifferentCacheEntry()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"gpt-kernel-cache-test-{Guid.NewGuid():N}");
        try
        {
            var cache = new KernelCache(folder);
            using (OpenCLDevice plain = OpenCLDevice.Open(cache: cache)) plain.Prepare(TestKernels.Axpy);
            using (OpenCLDevice defined = OpenCLDevice.Open(cache: cache, buildOptions: OpenCLDevice.DefaultBuildOptions + " -DUNUSED=1"))
                defined.Prepare(TestKernels.Axpy);
            Assert.Equal(0, cache.Hits);
            Assert.Equal(2, cache.Writes);
            Assert.Equal(2, Directory.GetFiles(folder).Length);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [OpenCLFact]
    public void DisposedDeviceRefusesWork()
    {
        OpenCLDevice device = Open();
        device.Dispose();
        device.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Allocate<float>(4));
        Assert.Throws<ObjectDisposedException>(device.Synchronize);
    }
}

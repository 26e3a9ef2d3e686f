using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cuda;
using Gpt.Kernels.Devices.OpenCL;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>Device.Get: explicit kinds are that device or an error; Auto is CUDA, then an OpenCL GPU, then the CPU.</summary>
public sealed class DeviceChoiceTests
{
    [Fact]
    public void CpuIsAlwaysThere()
    {
        Assert.Same(Device.Cpu, Device.Get(DeviceKind.Cpu, out string reason));
        Assert.Contains("CPU", reason);
    }

    [Fact]
    public void AutoTakesCudaThenAnOpenCLGpuThenTheCpuAndSaysWhy()
    {
        Device device = Device.Get(DeviceKind.Auto, out string reason);
        Assert.Same(device, Device.Auto);
        Assert.StartsWith(device.Name, reason);
        bool openCLGpu = OpenCLDevice.IsAvailable(out _) && OpenCLDevice.Discover().Any(d => d.IsGpu);
        DeviceKind expected = DeviceAvailability.Cuda ? DeviceKind.Cuda : openCLGpu ? DeviceKind.OpenCL : DeviceKind.Cpu;
        Assert.Equal(expected, device.Kind);
        if (!DeviceAvailability.Cuda) Assert.Contains("CUDA: ", reason);
        if (expected == DeviceKind.Cpu && DeviceAvailability.OpenCL)
            Assert.Contains("OpenCL: no GPU", reason);
    }

    [OpenCLFact]
    public void ExplicitOpenCLIsSharedAndSurvivesDispose()
    {
        Device device = Device.Get(DeviceKind.OpenCL, out string reason);
        Assert.Equal(DeviceKind.OpenCL, device.Kind);
        Assert.Contains("OpenCL was asked for", reason);
        device.Dispose();
        Assert.Same(device, Device.Get(DeviceKind.OpenCL));
        KernelRunnerChecks.BuffersRoundTrip(device);
    }

    [Fact]
    public void UnknownKindIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Get((DeviceKind)42));
}

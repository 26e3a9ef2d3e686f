using Gpt.Kernels.Devices.Cuda;
using Gpt.Kernels.Devices.OpenCL;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>Which GPU runtimes this machine has, probed once per test run.</summary>
internal static class DeviceAvailability
{
    private static readonly Lazy<(bool Present, string Reason)> OpenCLProbe =
        new(() => (OpenCLDevice.IsAvailable(out string reason), reason));

    private static readonly Lazy<(bool Present, string Reason)> CudaProbe =
        new(() => (CudaDevice.IsAvailable(out string reason), reason));

    public static bool OpenCL => OpenCLProbe.Value.Present;

    public static string OpenCLReason => OpenCLProbe.Value.Reason;

    public static bool Cuda => CudaProbe.Value.Present;

    public static string CudaReason => CudaProbe.Value.Reason;

    /// <summary>CI installs POCL, so there a missing OpenCL runtime is a failure, not a skip.</summary>
    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A test that needs an OpenCL device: skipped with the reason where none is installed,
/// except under CI (<c>CI=true</c>), where it runs and fails.</summary>
public sealed class OpenCLFactAttribute : FactAttribute
{
    public OpenCLFactAttribute()
    {
        if (!DeviceAvailability.OpenCL && !DeviceAvailability.IsCI)
            Skip = $"no OpenCL device: {DeviceAvailability.OpenCLReason}";
    }
}

/// <summary>A test that needs a CUDA GPU and NVRTC: skipped with the reason where they are absent
/// (CI machines have no GPU, so CI skips too).</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!DeviceAvailability.Cuda)
            Skip = $"no CUDA device: {DeviceAvailability.CudaReason}";
    }
}

/// <summary>A test of what happens without CUDA: skipped where a CUDA GPU is present.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (DeviceAvailability.Cuda)
            Skip = "a CUDA device is present";
    }
}

using Gpt.Kernels.Devices.OpenCL;

namespace Gpt.Sdk.Tests.Devices;

/// <summary>A test that needs an OpenCL device: skipped with the reason where none is installed, except under
/// CI (<c>CI=true</c>, where POCL is installed), where it runs and fails. As Gpt.Kernels.Tests' attribute.</summary>
public sealed class OpenCLFactAttribute : FactAttribute
{
    private static readonly Lazy<(bool Present, string Reason)> Probe =
        new(() => (OpenCLDevice.IsAvailable(out string reason), reason));

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no OpenCL device is present outside CI.</summary>
    public OpenCLFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!Probe.Value.Present && !ci) Skip = $"no OpenCL device: {Probe.Value.Reason}";
    }
}

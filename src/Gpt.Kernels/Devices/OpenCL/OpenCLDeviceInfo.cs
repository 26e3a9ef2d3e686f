namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>One OpenCL device as the driver describes it, found by <see cref="OpenCLDevice.Discover"/>.</summary>
public sealed record OpenCLDeviceInfo
{
    internal OpenCLDeviceInfo(nint platformId, nint deviceId) => (PlatformId, DeviceId) = (platformId, deviceId);

    internal nint PlatformId { get; }

    internal nint DeviceId { get; }

    /// <summary>The platform (driver) name, e.g. "Portable Computing Language" or "NVIDIA CUDA".</summary>
    public required string Platform { get; init; }

    /// <summary>The device name.</summary>
    public required string Name { get; init; }

    /// <summary>The vendor.</summary>
    public required string Vendor { get; init; }

    /// <summary>The driver version; part of the program cache key.</summary>
    public required string DriverVersion { get; init; }

    /// <summary>The OpenCL version the device supports, e.g. "OpenCL 1.2 pocl".</summary>
    public required string Version { get; init; }

    /// <summary>True for a GPU; false for a CPU or accelerator device (e.g. POCL on the host).</summary>
    public required bool IsGpu { get; init; }

    /// <summary>Compute units (GPU multiprocessors or CPU cores).</summary>
    public required int ComputeUnits { get; init; }

    /// <summary>Global memory in bytes.</summary>
    public required long GlobalMemoryBytes { get; init; }

    /// <summary>Shared (local) memory per group in bytes.</summary>
    public required long LocalMemoryBytes { get; init; }

    /// <summary>Most threads one group may have.</summary>
    public required int MaxGroupSize { get; init; }

    /// <summary>"Name (Platform, driver DriverVersion)".</summary>
    public override string ToString() => $"{Name} ({Platform}, {(IsGpu ? "GPU" : "not a GPU")}, driver {DriverVersion})";
}

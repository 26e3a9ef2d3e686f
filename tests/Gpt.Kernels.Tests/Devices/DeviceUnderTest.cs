using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// The devices the op suite runs on: the CPU always, OpenCL where a runtime is installed (and under CI, where
/// a missing one must fail, not vanish), CUDA where a GPU is present. Absent devices add no rows; the
/// <see cref="OpenCLFactAttribute"/> tests report them as skipped, with the reason.
/// </summary>
public static class DeviceUnderTest
{
    /// <summary>Theory rows: one device name each.</summary>
    public static TheoryData<string> Present()
    {
        var names = new TheoryData<string> { "cpu" };
        if (DeviceAvailability.OpenCL || DeviceAvailability.IsCI) names.Add("opencl");
        if (DeviceAvailability.Cuda) names.Add("cuda");
        return names;
    }

    /// <summary>The shared device of that name.</summary>
    public static Device Get(string name) => Device.Get(name switch
    {
        "cpu" => DeviceKind.Cpu,
        "opencl" => DeviceKind.OpenCL,
        "cuda" => DeviceKind.Cuda,
        _ => throw new ArgumentException($"unknown device '{name}'", nameof(name)),
    });
}

/// <summary>Host arrays put on a device at an odd offset (so slice offsets are exercised), read back, and freed.</summary>
internal sealed class DeviceArrays(Device device) : IDisposable
{
    private const int Offset = 13;
    private readonly List<IDisposable> _buffers = [];

    public Device Device => device;

    /// <summary>A device copy of <paramref name="data"/>.</summary>
    public Slice<T> Put<T>(T[] data) where T : unmanaged
    {
        DeviceBuffer<T> buffer = device.Allocate<T>(data.Length + Offset);
        _buffers.Add(buffer);
        Slice<T> slice = buffer.Slice(Offset, data.Length);
        device.Upload<T>(data, slice);
        return slice;
    }

    /// <summary>The slice's contents on the host.</summary>
    public T[] Get<T>(Slice<T> slice) where T : unmanaged
    {
        var host = new T[slice.Length];
        device.Download(slice, host);
        return host;
    }

    public void Dispose()
    {
        foreach (IDisposable buffer in _buffers) buffer.Dispose();
    }
}

using System.Text;
using static Gpt.Kernels.Devices.OpenCL.OpenCLNative;

namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>Walks the OpenCL platforms and their devices.</summary>
internal static unsafe class OpenCLDiscovery
{
    /// <summary>Every device of every platform, in platform then device order; empty when the loader finds
    /// no driver. Throws <see cref="NotSupportedException"/> when the loader itself is missing.</summary>
    public static IReadOnlyList<OpenCLDeviceInfo> Devices()
    {
        NativeLibraries.Load(NativeLibraries.OpenCL);
        uint platformCount;
        int status = clGetPlatformIDs(0, null, &platformCount);
        if (status == PlatformNotFoundKhr || platformCount == 0) return [];
        OpenCLException.Check(status, "clGetPlatformIDs");
        var platforms = new nint[platformCount];
        fixed (nint* p = platforms) OpenCLException.Check(clGetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");

        var result = new List<OpenCLDeviceInfo>();
        foreach (nint platform in platforms)
        {
            uint deviceCount;
            status = clGetDeviceIDs(platform, DeviceTypeAll, 0, null, &deviceCount);
            if (status == DeviceNotFound || deviceCount == 0) continue;
            OpenCLException.Check(status, "clGetDeviceIDs");
            var devices = new nint[deviceCount];
            fixed (nint* d = devices) OpenCLException.Check(clGetDeviceIDs(platform, DeviceTypeAll, deviceCount, d, null), "clGetDeviceIDs");
            string platformName = PlatformString(platform, PlatformName);
            foreach (nint device in devices)
                result.Add(Describe(platform, platformName, device));
        }
        return result;
    }

    private static OpenCLDeviceInfo Describe(nint platform, string platformName, nint device) => new(platform, device)
    {
        Platform = platformName,
        Name = DeviceString(device, DeviceName),
        Vendor = DeviceString(device, DeviceVendor),
        DriverVersion = DeviceString(device, DriverVersion),
        Version = DeviceString(device, DeviceVersion),
        IsGpu = (DeviceValue<ulong>(device, DeviceType) & DeviceTypeGpu) != 0,
        ComputeUnits = (int)DeviceValue<uint>(device, DeviceMaxComputeUnits),
        GlobalMemoryBytes = (long)DeviceValue<ulong>(device, DeviceGlobalMemSize),
        LocalMemoryBytes = (long)DeviceValue<ulong>(device, DeviceLocalMemSize),
        MaxGroupSize = (int)Math.Min(int.MaxValue, (ulong)DeviceValue<nuint>(device, DeviceMaxWorkGroupSize)),
    };

    private static T DeviceValue<T>(nint device, uint name) where T : unmanaged
    {
        T value;
        OpenCLException.Check(clGetDeviceInfo(device, name, (nuint)sizeof(T), &value, null), $"clGetDeviceInfo(0x{name:X4})");
        return value;
    }

    private static string DeviceString(nint device, uint name)
    {
        nuint size;
        OpenCLException.Check(clGetDeviceInfo(device, name, 0, null, &size), $"clGetDeviceInfo(0x{name:X4})");
        var bytes = new byte[size];
        fixed (byte* b = bytes) OpenCLException.Check(clGetDeviceInfo(device, name, size, b, null), $"clGetDeviceInfo(0x{name:X4})");
        return Text(bytes);
    }

    private static string PlatformString(nint platform, uint name)
    {
        nuint size;
        OpenCLException.Check(clGetPlatformInfo(platform, name, 0, null, &size), $"clGetPlatformInfo(0x{name:X4})");
        var bytes = new byte[size];
        fixed (byte* b = bytes) OpenCLException.Check(clGetPlatformInfo(platform, name, size, b, null), $"clGetPlatformInfo(0x{name:X4})");
        return Text(bytes);
    }

    /// <summary>A NUL-terminated C string from a driver, trimmed.</summary>
    public static string Text(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]).Trim();
    }
}

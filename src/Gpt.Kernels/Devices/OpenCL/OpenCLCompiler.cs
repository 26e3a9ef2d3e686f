using System.Text;
using static Gpt.Kernels.Devices.OpenCL.OpenCLNative;

namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>Builds OpenCL programs for one device, through the on-disk <see cref="KernelCache"/>: a hit is
/// loaded with <c>clCreateProgramWithBinary</c>, a miss is compiled from source and its binary stored.</summary>
internal sealed unsafe class OpenCLCompiler(nint context, OpenCLDeviceInfo device, KernelCache cache)
{
    private const string CacheExtension = "clbin";

    /// <summary>Returns a built program (the caller releases it); a compile error throws
    /// <see cref="KernelCompilationException"/> with the driver's build log.</summary>
    public nint Build(string name, string source, string options)
    {
        string key = KernelCache.Key("opencl", source, options, device.Platform, device.Name, device.Vendor, device.DriverVersion, device.Version);
        if (cache.TryRead(key, CacheExtension) is { } binary)
        {
            nint cached = TryBuildFromBinary(binary, options);
            if (cached != 0) return cached;
            cache.Reject();
        }
        nint program = BuildFromSource(name, source, options);
        if (ReadBinary(program) is { } compiled) cache.Write(key, CacheExtension, compiled);
        return program;
    }

    private nint BuildFromSource(string name, string source, string options)
    {
        byte[] text = Encoding.UTF8.GetBytes(source);
        int status;
        nint program;
        fixed (byte* s = text)
        {
            byte* strings = s;
            nuint length = (nuint)text.Length;
            program = clCreateProgramWithSource(context, 1, &strings, &length, &status);
        }
        OpenCLException.Check(status, $"clCreateProgramWithSource ({name})");
        status = BuildProgram(program, options);
        if (status == Success) return program;
        string log = BuildLog(program);
        clReleaseProgram(program);
        if (status == BuildProgramFailure)
            throw new KernelCompilationException(name, device.ToString(), options, log);
        throw new OpenCLException(status, $"clBuildProgram ({name}){(log.Length > 0 ? ": " + log : "")}");
    }

    // A stale binary (another driver build, a truncated file) is refused here; the caller recompiles.
    private nint TryBuildFromBinary(byte[] binary, string options)
    {
        nint id = device.DeviceId;
        int binaryStatus, status;
        nint program;
        fixed (byte* b = binary)
        {
            byte* binaries = b;
            nuint length = (nuint)binary.Length;
            program = clCreateProgramWithBinary(context, 1, &id, &length, &binaries, &binaryStatus, &status);
        }
        if (status != Success || binaryStatus != Success)
        {
            if (program != 0) clReleaseProgram(program);
            return 0;
        }
        if (BuildProgram(program, options) == Success) return program;
        clReleaseProgram(program);
        return 0;
    }

    private int BuildProgram(nint program, string options)
    {
        nint id = device.DeviceId;
        byte[] text = Encoding.UTF8.GetBytes(options + "\0");
        fixed (byte* o = text) return clBuildProgram(program, 1, &id, o, 0, 0);
    }

    private string BuildLog(nint program)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, device.DeviceId, ProgramBuildLog, 0, null, &size) != Success || size == 0) return "";
        var bytes = new byte[size];
        fixed (byte* b = bytes)
            if (clGetProgramBuildInfo(program, device.DeviceId, ProgramBuildLog, size, b, null) != Success) return "";
        return OpenCLDiscovery.Text(bytes);
    }

    // The program was built for one device, so there is one binary.
    private static byte[]? ReadBinary(nint program)
    {
        nuint size;
        if (clGetProgramInfo(program, ProgramBinarySizes, (nuint)sizeof(nuint), &size, null) != Success || size == 0) return null;
        var bytes = new byte[size];
        fixed (byte* b = bytes)
        {
            byte* pointer = b;
            if (clGetProgramInfo(program, ProgramBinaries, (nuint)sizeof(byte*), &pointer, null) != Success) return null;
        }
        return bytes;
    }
}

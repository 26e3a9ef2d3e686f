using System.Text;
using static Gpt.Kernels.Devices.Cuda.NvrtcNative;

namespace Gpt.Kernels.Devices.Cuda;

/// <summary>Compiles CUDA C to PTX with NVRTC for one device, through the on-disk <see cref="KernelCache"/>.</summary>
internal sealed unsafe class NvrtcCompiler
{
    private const string CacheExtension = "ptx";

    private readonly KernelCache _cache;
    private readonly string _device, _cacheIdentity;

    /// <summary>Loads NVRTC (or throws <see cref="NotSupportedException"/>) and picks the virtual architecture.</summary>
    /// <param name="device">The device's description, for messages.</param>
    /// <param name="major">Compute capability, major.</param>
    /// <param name="minor">Compute capability, minor.</param>
    /// <param name="driverVersion">The driver's CUDA version (e.g. 12040), part of the cache key.</param>
    /// <param name="cache">Where PTX is kept.</param>
    public NvrtcCompiler(string device, int major, int minor, int driverVersion, KernelCache cache)
    {
        NativeLibraries.Load(NativeLibraries.Nvrtc);
        int nvrtcMajor, nvrtcMinor;
        CudaException.CheckNvrtc(nvrtcVersion(&nvrtcMajor, &nvrtcMinor), "nvrtcVersion");
        Version = $"{nvrtcMajor}.{nvrtcMinor}";
        Architecture = Clamp(major * 10 + minor);
        Options = [$"--gpu-architecture=compute_{Architecture}"];
        _device = device;
        _cache = cache;
        _cacheIdentity = $"{device}|sm_{major}{minor}|nvrtc {Version}|driver {driverVersion}";
    }

    /// <summary>NVRTC's version, "major.minor".</summary>
    public string Version { get; }

    /// <summary>The virtual architecture compiled for (e.g. 90 for compute_90).</summary>
    public int Architecture { get; }

    /// <summary>The compiler options.</summary>
    public string[] Options { get; }

    private string KeyOf(string source) => KernelCache.Key("cuda", source, string.Join(' ', Options), _cacheIdentity);

    /// <summary>NUL-terminated PTX for <paramref name="source"/>, from the cache or freshly compiled; a compile
    /// error throws <see cref="KernelCompilationException"/> with NVRTC's log.</summary>
    public byte[] Compile(string name, string source, out bool fromCache)
    {
        string key = KeyOf(source);
        byte[]? cached = _cache.TryRead(key, CacheExtension);
        fromCache = cached is not null;
        if (cached is not null)
            return cached[^1] == 0 ? cached : [.. cached, 0];
        byte[] ptx = CompileSource(name, source);
        _cache.Write(key, CacheExtension, ptx);
        return ptx;
    }

    /// <summary>Drops a cached entry the driver refused and compiles afresh.</summary>
    public byte[] Recompile(string name, string source)
    {
        _cache.Reject();
        byte[] ptx = CompileSource(name, source);
        _cache.Write(KeyOf(source), CacheExtension, ptx);
        return ptx;
    }

    private byte[] CompileSource(string name, string source)
    {
        nint program;
        byte[] text = Encoding.UTF8.GetBytes(source + "\0");
        byte[] file = Encoding.UTF8.GetBytes(name + ".cu\0");
        fixed (byte* s = text, f = file)
            CudaException.CheckNvrtc(nvrtcCreateProgram(&program, s, f, 0, null, null), $"nvrtcCreateProgram ({name})");
        try
        {
            int status = CompileProgram(program);
            if (status == ErrorCompilation)
                throw new KernelCompilationException(name, _device, string.Join(' ', Options), Log(program));
            CudaException.CheckNvrtc(status, $"nvrtcCompileProgram ({name})");
            nuint size;
            CudaException.CheckNvrtc(nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
            var ptx = new byte[size];
            fixed (byte* p = ptx) CudaException.CheckNvrtc(nvrtcGetPTX(program, p), "nvrtcGetPTX");
            return ptx;
        }
        finally
        {
            nvrtcDestroyProgram(&program);
        }
    }

    // The options as C strings: one packed buffer, NUL after each, pointers into it.
    private int CompileProgram(nint program)
    {
        byte[] packed = Encoding.UTF8.GetBytes(string.Join('\0', Options) + "\0");
        byte** pointers = stackalloc byte*[Options.Length];
        fixed (byte* p = packed)
        {
            int start = 0;
            for (int i = 0; i < Options.Length; i++)
            {
                pointers[i] = p + start;
                start = Array.IndexOf(packed, (byte)0, start) + 1;
            }
            return nvrtcCompileProgram(program, Options.Length, pointers);
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (nvrtcGetProgramLogSize(program, &size) != Success || size == 0) return "";
        var bytes = new byte[size];
        fixed (byte* b = bytes)
            if (nvrtcGetProgramLog(program, b) != Success) return "";
        int end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }

    // NVRTC refuses an architecture newer than it knows; PTX for the newest one it does know still runs
    // (the driver JIT-compiles it for the device). NVRTC before 11.2 cannot list its architectures.
    private static int Clamp(int wanted)
    {
        int count;
        try
        {
            if (nvrtcGetNumSupportedArchs(&count) != Success || count == 0) return wanted;
        }
        catch (EntryPointNotFoundException)
        {
            return wanted;
        }
        int* architectures = stackalloc int[count];
        if (nvrtcGetSupportedArchs(architectures) != Success) return wanted;
        int best = architectures[0];
        for (int i = 0; i < count; i++)
            if (architectures[i] <= wanted) best = Math.Max(best, architectures[i]);
        return best;
    }
}

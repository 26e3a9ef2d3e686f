using System.Reflection;
using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices;

/// <summary>
/// Finds the GPU driver libraries on demand. The <c>[LibraryImport]</c> declarations name a logical library
/// ("OpenCL", "cuda", "nvrtc"); this resolver maps it to the first file that loads among the names each
/// platform uses. Nothing is loaded until a device asks for it, so a machine without GPU drivers never
/// touches them, and a missing library is reported with the names tried and how to install it.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>Logical name of the OpenCL ICD loader.</summary>
    public const string OpenCL = "OpenCL";

    /// <summary>Logical name of the CUDA driver API.</summary>
    public const string Cuda = "cuda";

    /// <summary>Logical name of the NVRTC runtime compiler.</summary>
    public const string Nvrtc = "nvrtc";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Loaded = [];
    private static bool _resolverSet;

    /// <summary>Loads <paramref name="logicalName"/> (once) or throws <see cref="NotSupportedException"/>
    /// naming the files tried and what to install.</summary>
    public static nint Load(string logicalName)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(logicalName, out nint handle)) return handle;
            if (!_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
                _resolverSet = true;
            }
            IReadOnlyList<string> candidates = Candidates(logicalName);
            handle = LoadFirst(candidates);
            if (handle == 0)
                throw new NotSupportedException(
                    $"{Describe(logicalName)} could not be loaded (tried {string.Join(", ", candidates)}). {InstallHint(logicalName)}");
            Loaded[logicalName] = handle;
            return handle;
        }
    }

    /// <summary>True when <paramref name="logicalName"/> loads; <paramref name="reason"/> says why not otherwise.</summary>
    public static bool TryLoad(string logicalName, out string reason)
    {
        try
        {
            Load(logicalName);
            reason = "";
            return true;
        }
        catch (NotSupportedException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The first of <paramref name="candidates"/> that loads, or 0.</summary>
    internal static nint LoadFirst(IReadOnlyList<string> candidates)
    {
        foreach (string name in candidates)
            if (NativeLibrary.TryLoad(name, out nint handle))
                return handle;
        return 0;
    }

    /// <summary>The file names (and, for NVRTC, full paths) tried for a logical library, in order.</summary>
    internal static IReadOnlyList<string> Candidates(string logicalName)
    {
        bool windows = OperatingSystem.IsWindows();
        return logicalName switch
        {
            OpenCL when windows => ["OpenCL.dll"],
            OpenCL when OperatingSystem.IsMacOS() => ["/System/Library/Frameworks/OpenCL.framework/OpenCL"],
            OpenCL => ["libOpenCL.so.1", "libOpenCL.so"],
            Cuda when windows => ["nvcuda.dll"],
            Cuda => ["libcuda.so.1", "libcuda.so"],
            Nvrtc when windows => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
            Nvrtc => NvrtcCandidates(),
            _ => throw new ArgumentOutOfRangeException(nameof(logicalName), logicalName, "not a GPU library this SDK loads."),
        };
    }

    // NVRTC ships with the CUDA toolkit, which is usually not on the loader's path: look in the
    // toolkit folders too, newest soname first.
    private static string[] NvrtcCandidates()
    {
        string[] sonames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0", "libnvrtc.so"];
        var folders = new List<string>();
        foreach (string variable in (string[])["CUDA_PATH", "CUDA_HOME"])
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
                folders.Add(Path.Combine(root, "lib64"));
        folders.Add("/usr/local/cuda/lib64");
        var result = new List<string>(sonames);
        foreach (string folder in folders)
            foreach (string soname in sonames)
                result.Add(Path.Combine(folder, soname));
        return [.. result];
    }

    private static string Describe(string logicalName) => logicalName switch
    {
        OpenCL => "The OpenCL runtime (libOpenCL)",
        Cuda => "The CUDA driver (libcuda.so.1)",
        _ => "NVRTC, the CUDA runtime compiler (libnvrtc)",
    };

    private static string InstallHint(string logicalName) => logicalName switch
    {
        OpenCL => "Install an OpenCL ICD loader and a driver: on Debian/Ubuntu `apt-get install ocl-icd-libopencl1 pocl-opencl-icd` " +
                  "(POCL runs on the CPU; GPU vendors ship their own ICD), on Windows the GPU driver provides OpenCL.dll.",
        Cuda => "Install the NVIDIA driver (it provides libcuda.so.1 / nvcuda.dll); CUDA needs an NVIDIA GPU.",
        _ => "Install the CUDA toolkit's NVRTC (e.g. `apt-get install cuda-nvrtc-12-x`), or set CUDA_PATH to the toolkit folder.",
    };

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
            return Loaded.TryGetValue(libraryName, out nint handle) ? handle : 0;
    }
}

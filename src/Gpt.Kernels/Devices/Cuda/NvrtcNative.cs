using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cuda;

/// <summary>The NVRTC (CUDA runtime compilation) entry points the SDK uses: CUDA C source in, PTX out.
/// Call <see cref="NativeLibraries.Load"/> before the first call.</summary>
internal static unsafe partial class NvrtcNative
{
    private const string Lib = NativeLibraries.Nvrtc;

    public const int Success = 0;
    public const int ErrorCompilation = 6;

    [LibraryImport(Lib)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] public static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(Lib)] public static partial int nvrtcGetSupportedArchs(int* architectures);
    [LibraryImport(Lib)] public static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(nint* program);
    [LibraryImport(Lib)] public static partial byte* nvrtcGetErrorString(int result);
}

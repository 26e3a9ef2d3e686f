using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>
/// The OpenCL 1.2 entry points the SDK uses, bound through the ICD loader. Handles (platform, device,
/// context, queue, memory, program, kernel) are opaque pointers; every function returns or writes a
/// <c>cl_int</c> status that <see cref="OpenCLException.Check"/> turns into an exception.
/// Call <see cref="NativeLibraries.Load"/> before the first call so the loader is found.
/// </summary>
internal static unsafe partial class OpenCLNative
{
    private const string Lib = NativeLibraries.OpenCL;

    public const int Success = 0;
    public const int DeviceNotFound = -1;
    public const int BuildProgramFailure = -11;
    public const int PlatformNotFoundKhr = -1001;

    public const ulong DeviceTypeCpu = 1 << 1;
    public const ulong DeviceTypeGpu = 1 << 2;
    public const ulong DeviceTypeAll = 0xFFFFFFFF;

    public const uint PlatformName = 0x0902;
    public const uint PlatformVersion = 0x0901;

    public const uint DeviceType = 0x1000;
    public const uint DeviceMaxComputeUnits = 0x1002;
    public const uint DeviceMaxWorkGroupSize = 0x1004;
    public const uint DeviceMemBaseAddrAlign = 0x1019;
    public const uint DeviceGlobalMemSize = 0x101F;
    public const uint DeviceLocalMemSize = 0x1023;
    public const uint DeviceName = 0x102B;
    public const uint DeviceVendor = 0x102C;
    public const uint DriverVersion = 0x102D;
    public const uint DeviceVersion = 0x102F;

    public const ulong MemReadWrite = 1 << 0;

    public const uint ProgramBinarySizes = 0x1165;
    public const uint ProgramBinaries = 0x1166;
    public const uint ProgramBuildLog = 0x1183;

    [LibraryImport(Lib)] public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);
    [LibraryImport(Lib)] public static partial int clGetPlatformInfo(nint platform, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetDeviceIDs(nint platform, ulong type, uint numEntries, nint* devices, uint* numDevices);
    [LibraryImport(Lib)] public static partial int clGetDeviceInfo(nint device, uint name, nuint size, void* value, nuint* sizeRet);

    [LibraryImport(Lib)] public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseContext(nint context);
    [LibraryImport(Lib)] public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseCommandQueue(nint queue);
    [LibraryImport(Lib)] public static partial int clFinish(nint queue);

    [LibraryImport(Lib)] public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPointer, int* error);
    [LibraryImport(Lib)] public static partial int clReleaseMemObject(nint memory);
    [LibraryImport(Lib)] public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* source, uint numEvents, nint* waitList, nint* @event);
    [LibraryImport(Lib)] public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* destination, uint numEvents, nint* waitList, nint* @event);

    [LibraryImport(Lib)] public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* error);
    [LibraryImport(Lib)] public static partial nint clCreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries, int* binaryStatus, int* error);
    [LibraryImport(Lib)] public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint notify, nint userData);
    [LibraryImport(Lib)] public static partial int clGetProgramInfo(nint program, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetProgramBuildInfo(nint program, nint device, uint name, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clReleaseProgram(nint program);

    [LibraryImport(Lib)] public static partial nint clCreateKernel(nint program, byte* name, int* error);
    [LibraryImport(Lib)] public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Lib)] public static partial int clReleaseKernel(nint kernel);
    [LibraryImport(Lib)] public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalOffset, nuint* globalSize, nuint* localSize, uint numEvents, nint* waitList, nint* @event);
}

namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>An OpenCL call failed; <see cref="ErrorCode"/> is its <c>cl_int</c> status.</summary>
public sealed class OpenCLException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="errorCode">The status the call returned.</param>
    /// <param name="call">What was being done, e.g. "clCreateBuffer (4096 bytes)".</param>
    public OpenCLException(int errorCode, string call)
        : base($"{call} failed with {NameOf(errorCode)} ({errorCode}).{Advice(errorCode)}")
    {
        ErrorCode = errorCode;
    }

    /// <summary>The OpenCL status code (negative).</summary>
    public int ErrorCode { get; }

    /// <summary>Throws when <paramref name="status"/> is not CL_SUCCESS.</summary>
    internal static void Check(int status, string call)
    {
        if (status != OpenCLNative.Success) throw new OpenCLException(status, call);
    }

    /// <summary>The CL_* name of a status code.</summary>
    /// <param name="errorCode">A <c>cl_int</c> status.</param>
    public static string NameOf(int errorCode) => errorCode switch
    {
        0 => "CL_SUCCESS",
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -13 => "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -30 => "CL_INVALID_VALUE",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -42 => "CL_INVALID_BINARY",
        -43 => "CL_INVALID_BUILD_OPTIONS",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "an unknown OpenCL error",
    };

    private static string Advice(int errorCode) => errorCode switch
    {
        -4 or -5 or -6 => " The device is out of memory: use a smaller batch or model.",
        -54 or -55 => " The group size exceeds the device's limits (see CL_DEVICE_MAX_WORK_GROUP_SIZE).",
        -1001 => " No OpenCL driver is registered in /etc/OpenCL/vendors: install one (e.g. `apt-get install pocl-opencl-icd`).",
        _ => "",
    };
}

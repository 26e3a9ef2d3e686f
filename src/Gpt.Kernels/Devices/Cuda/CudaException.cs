using System.Runtime.InteropServices;

namespace Gpt.Kernels.Devices.Cuda;

/// <summary>A CUDA driver or NVRTC call failed; <see cref="ErrorCode"/> is its status.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The <c>CUresult</c> or <c>nvrtcResult</c>.</param>
    /// <param name="message">What failed and why.</param>
    public CudaException(int errorCode, string message) : base(message) => ErrorCode = errorCode;

    /// <summary>The status code.</summary>
    public int ErrorCode { get; }

    /// <summary>Throws when a driver call did not return CUDA_SUCCESS.</summary>
    internal static void Check(int status, string call)
    {
        if (status != CudaNative.Success) throw Driver(status, call);
    }

    /// <summary>Throws when an NVRTC call did not return NVRTC_SUCCESS.</summary>
    internal static unsafe void CheckNvrtc(int status, string call)
    {
        if (status == NvrtcNative.Success) return;
        string text = Marshal.PtrToStringUTF8((nint)NvrtcNative.nvrtcGetErrorString(status)) ?? "unknown NVRTC error";
        throw new CudaException(status, $"{call} failed with {text} ({status}).");
    }

    /// <summary>The exception for a failed driver call, named and explained by the driver.</summary>
    internal static unsafe CudaException Driver(int status, string call)
    {
        byte* name = null, text = null;
        CudaNative.cuGetErrorName(status, &name);
        CudaNative.cuGetErrorString(status, &text);
        string advice = status switch
        {
            2 => " The GPU is out of memory: use a smaller batch or model.",
            CudaNative.ErrorNoDevice => " No NVIDIA GPU is visible (check CUDA_VISIBLE_DEVICES and the driver).",
            CudaNative.ErrorUnsupportedPtxVersion => " NVRTC is newer than the driver: update the NVIDIA driver, or use an NVRTC no newer than it.",
            _ => "",
        };
        return new CudaException(status,
            $"{call} failed with {Marshal.PtrToStringUTF8((nint)name) ?? "an unknown CUDA error"} ({status}): {Marshal.PtrToStringUTF8((nint)text) ?? "no description"}.{advice}");
    }
}

namespace Gpt.Kernels.Devices;

/// <summary>The compute back ends the SDK knows.</summary>
public enum DeviceKind
{
    /// <summary>Pick the best device present (CUDA, then an OpenCL GPU, then the CPU).</summary>
    Auto,

    /// <summary>The CPU: SIMD kernels over all cores. Always present.</summary>
    Cpu,

    /// <summary>An OpenCL device through <c>libOpenCL</c>.</summary>
    OpenCL,

    /// <summary>An NVIDIA GPU through the CUDA driver API and NVRTC.</summary>
    Cuda,
}

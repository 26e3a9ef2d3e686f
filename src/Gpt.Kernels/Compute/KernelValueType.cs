namespace Gpt.Kernels.Compute;

/// <summary>The element types of kernel buffers and the types of kernel scalars.</summary>
public enum KernelValueType
{
    /// <summary><c>int</c>: OpenCL <c>int</c>, CUDA <c>int</c>; 4 bytes.</summary>
    Int32,

    /// <summary><c>uint</c>: OpenCL <c>uint</c>, CUDA <c>unsigned int</c>; 4 bytes.</summary>
    UInt32,

    /// <summary><c>long</c>: OpenCL <c>long</c>, CUDA <c>long long</c>; 8 bytes.</summary>
    Int64,

    /// <summary><c>ulong</c>: OpenCL <c>ulong</c>, CUDA <c>unsigned long long</c>; 8 bytes.</summary>
    UInt64,

    /// <summary><c>float</c>; 4 bytes.</summary>
    Float32,
}

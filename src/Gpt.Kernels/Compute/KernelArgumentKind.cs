namespace Gpt.Kernels.Compute;

/// <summary>What a kernel parameter or argument is.</summary>
public enum KernelArgumentKind
{
    /// <summary>A buffer (an <see cref="ArrayView{T}"/> parameter; a <see cref="Devices.Slice{T}"/> argument).
    /// In the generated C code it is three parameters, in this order: the device pointer (OpenCL <c>cl_mem</c>,
    /// CUDA <c>CUdeviceptr</c>), the slice's offset in elements as a 64-bit integer, and its length in elements
    /// as a 32-bit integer.</summary>
    Buffer,

    /// <summary>A scalar passed by value: one C parameter of the type's size.</summary>
    Scalar,
}

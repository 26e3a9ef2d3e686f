namespace Gpt.Kernels.Devices;

/// <summary>What a <see cref="KernelDevice"/> needs from its buffers without knowing their element type:
/// a <see cref="Compute.KernelArgument"/> holds its buffer as an object.</summary>
internal interface IKernelBuffer
{
    /// <summary>The device that allocated the memory.</summary>
    Device Device { get; }

    /// <summary>Number of elements.</summary>
    long Length { get; }

    /// <summary>True once freed.</summary>
    bool IsDisposed { get; }

    /// <summary>The driver's handle: an OpenCL <c>cl_mem</c> or a CUDA device pointer.</summary>
    ulong Handle { get; }
}

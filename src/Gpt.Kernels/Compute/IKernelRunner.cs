namespace Gpt.Kernels.Compute;

/// <summary>A device that can run generated kernels (OpenCL, CUDA). Generated <c>Launch</c> methods call it.</summary>
public interface IKernelRunner
{
    /// <summary>Compiles <paramref name="kernel"/> for the device if needed (cached) and queues one launch of
    /// <paramref name="groups"/> × <paramref name="groupSize"/> threads.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="groups">Number of groups per dimension (OpenCL: global size ÷ local size; CUDA: grid).</param>
    /// <param name="groupSize">Threads per group per dimension (OpenCL: local size; CUDA: block).</param>
    /// <param name="arguments">One per <see cref="KernelDescriptor.Parameters"/> entry, in order and of matching kind and type.</param>
    void Launch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments);
}

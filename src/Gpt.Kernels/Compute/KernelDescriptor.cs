namespace Gpt.Kernels.Compute;

/// <summary>Everything a device needs to compile and launch one kernel; generated once per <c>[Kernel]</c> method.</summary>
/// <param name="Name">The kernel's C# name, qualified by its type (for messages and cache keys).</param>
/// <param name="EntryPoint">The C function name in both sources.</param>
/// <param name="OpenCLSource">OpenCL C 1.2 source defining <paramref name="EntryPoint"/> as a <c>__kernel</c>.</param>
/// <param name="CudaSource">CUDA C source for NVRTC defining <paramref name="EntryPoint"/> as <c>extern "C" __global__</c>.</param>
/// <param name="Parameters">The C# parameters in order (buffers expand to three C parameters each).</param>
/// <param name="UsesBarriers">True when the kernel calls <see cref="Group.Barrier"/> (all threads of a group must
/// reach it, so a launch must not split groups; such kernels have no CPU launcher).</param>
/// <param name="SharedMemoryBytes">Bytes of statically declared shared memory per group.</param>
public sealed record KernelDescriptor(
    string Name,
    string EntryPoint,
    string OpenCLSource,
    string CudaSource,
    IReadOnlyList<KernelParameterInfo> Parameters,
    bool UsesBarriers,
    int SharedMemoryBytes);

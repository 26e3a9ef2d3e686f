namespace Gpt.Kernels.Compute;

/// <summary>Memory shared by the threads of one group (OpenCL <c>__local</c>, CUDA <c>__shared__</c>).</summary>
public static class SharedMemory
{
    /// <summary>Allocates <paramref name="length"/> elements for the group. Call it as a statement at the top
    /// level of the kernel body (<c>var tile = SharedMemory.Allocate&lt;float&gt;(256);</c>) with a compile-time
    /// constant length. Every thread of the group gets the same memory; its initial contents are undefined.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="length">Number of elements: a compile-time constant.</param>
    public static ArrayView<T> Allocate<T>(int length) where T : unmanaged =>
        CpuKernelContext.Current.AllocateShared<T>(length);
}

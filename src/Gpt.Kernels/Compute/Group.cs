namespace Gpt.Kernels.Compute;

/// <summary>Where the running thread is inside its group, and the group's barrier.</summary>
public static class Group
{
    /// <summary>The thread's index in its group, first dimension.</summary>
    public static int IdxX => CpuKernelContext.Current.Thread.X;

    /// <summary>The thread's index in its group, second dimension.</summary>
    public static int IdxY => CpuKernelContext.Current.Thread.Y;

    /// <summary>The thread's index in its group, third dimension.</summary>
    public static int IdxZ => CpuKernelContext.Current.Thread.Z;

    /// <summary>Threads per group, first dimension.</summary>
    public static int DimX => CpuKernelContext.Current.GroupSize.X;

    /// <summary>Threads per group, second dimension.</summary>
    public static int DimY => CpuKernelContext.Current.GroupSize.Y;

    /// <summary>Threads per group, third dimension.</summary>
    public static int DimZ => CpuKernelContext.Current.GroupSize.Z;

    /// <summary>Waits until every thread of the group has reached this point, and makes their shared and
    /// global memory writes visible to each other. Every thread of the group must reach the same barrier.</summary>
    /// <remarks>Kernels that call it have no CPU launcher (the CPU runs a group's threads one after another).</remarks>
    public static void Barrier() =>
        throw new NotSupportedException("Group.Barrier() runs only on a GPU; kernels with barriers have no CPU launcher.");
}

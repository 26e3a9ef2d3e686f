namespace Gpt.Kernels.Compute;

/// <summary>Where the running thread is in the whole launch (ILGPU's names). A launch is a grid of groups;
/// each group is a block of threads that can share memory and meet at barriers.</summary>
public static class Grid
{
    /// <summary>The thread's index in the whole launch: group index · group size + index in the group.</summary>
    public static Dim3 GlobalIndex
    {
        get
        {
            var t = CpuKernelContext.Current;
            return new Dim3(t.Group.X * t.GroupSize.X + t.Thread.X,
                t.Group.Y * t.GroupSize.Y + t.Thread.Y,
                t.Group.Z * t.GroupSize.Z + t.Thread.Z);
        }
    }

    /// <summary>The group's index, first dimension.</summary>
    public static int IdxX => CpuKernelContext.Current.Group.X;

    /// <summary>The group's index, second dimension.</summary>
    public static int IdxY => CpuKernelContext.Current.Group.Y;

    /// <summary>The group's index, third dimension.</summary>
    public static int IdxZ => CpuKernelContext.Current.Group.Z;

    /// <summary>Number of groups, first dimension.</summary>
    public static int DimX => CpuKernelContext.Current.Groups.X;

    /// <summary>Number of groups, second dimension.</summary>
    public static int DimY => CpuKernelContext.Current.Groups.Y;

    /// <summary>Number of groups, third dimension.</summary>
    public static int DimZ => CpuKernelContext.Current.Groups.Z;
}

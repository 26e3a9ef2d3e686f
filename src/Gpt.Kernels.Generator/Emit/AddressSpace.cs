namespace Gpt.Kernels.Generator.Emit;

/// <summary>Where a view's memory lives. OpenCL C 1.2 has no generic address space, so pointers carry it.</summary>
internal enum AddressSpace
{
    Global,
    Shared,
}

/// <summary>The grid quantities a kernel can read.</summary>
internal enum GridQuantity
{
    /// <summary>Grid.GlobalIndex: the thread's index in the launch.</summary>
    GlobalIndex,

    /// <summary>Grid.Idx: the group's index.</summary>
    GroupIndex,

    /// <summary>Grid.Dim: the number of groups.</summary>
    GroupCount,

    /// <summary>Group.Idx: the thread's index in its group.</summary>
    ThreadIndex,

    /// <summary>Group.Dim: threads per group.</summary>
    GroupSize,
}

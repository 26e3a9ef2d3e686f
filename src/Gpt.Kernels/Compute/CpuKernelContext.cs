using System.Runtime.InteropServices;

namespace Gpt.Kernels.Compute;

/// <summary>The grid position of the kernel thread running on this CPU thread, read by the intrinsics
/// (<see cref="Grid"/>, <see cref="Group"/>, <see cref="SharedMemory"/>) when a kernel runs on the CPU.</summary>
internal sealed unsafe class CpuKernelContext
{
    [ThreadStatic] private static CpuKernelContext? _current;

    // Shared memory of the group being run: the k-th Allocate call of every thread gets the k-th block.
    private readonly List<nint> _sharedBlocks = [];
    private int _nextShared;

    public Dim3 Groups;
    public Dim3 GroupSize;
    public Dim3 Group;
    public Dim3 Thread;

    public static CpuKernelContext Current => _current ?? throw new InvalidOperationException(
        "Kernel intrinsics (Grid, Group, SharedMemory) work only inside a kernel launch; call the kernel through its generated LaunchCpu.");

    /// <summary>Makes a fresh context current on this thread for the duration of one group.</summary>
    public static CpuKernelContext Enter(Dim3 groups, Dim3 groupSize, Dim3 group)
    {
        var context = _current ??= new CpuKernelContext();
        context.Groups = groups;
        context.GroupSize = groupSize;
        context.Group = group;
        return context;
    }

    /// <summary>Starts the next thread of the group: its shared-memory allocations restart at the first block.</summary>
    public void BeginThread(Dim3 thread)
    {
        Thread = thread;
        _nextShared = 0;
    }

    /// <summary>Frees the group's shared memory.</summary>
    public void EndGroup()
    {
        foreach (nint block in _sharedBlocks) NativeMemory.Free((void*)block);
        _sharedBlocks.Clear();
    }

    public ArrayView<T> AllocateShared<T>(int length) where T : unmanaged
    {
        if (length <= 0)
            throw new ArgumentOutOfRangeException(nameof(length), length, "Shared memory needs a positive length.");
        if (_nextShared == _sharedBlocks.Count)
            _sharedBlocks.Add((nint)NativeMemory.AllocZeroed((nuint)length, (nuint)sizeof(T)));
        return new ArrayView<T>((T*)_sharedBlocks[_nextShared++], length);
    }
}

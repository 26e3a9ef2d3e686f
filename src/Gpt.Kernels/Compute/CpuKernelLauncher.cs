using System.ComponentModel;
using System.Runtime.ExceptionServices;

namespace Gpt.Kernels.Compute;

/// <summary>Runs a barrier-free kernel on the CPU: groups in parallel, the threads of a group one after
/// another. This is the reference every GPU path is tested against; generated <c>LaunchCpu</c> methods call it.</summary>
/// <remarks>A kernel whose threads write disjoint memory gives the same result for any thread count.
/// Exceptions (an index outside a view) reach the caller. Public only because the launchers generated into a
/// kernel's own assembly call it; code calls the generated <c>LaunchCpu</c> instead.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class CpuKernelLauncher
{
    /// <summary>Runs <paramref name="thread"/>(<paramref name="state"/>) once per thread of the grid.</summary>
    /// <typeparam name="TState">The kernel's arguments, as a struct.</typeparam>
    /// <param name="groups">Number of groups per dimension (each at least 1).</param>
    /// <param name="groupSize">Threads per group per dimension (each at least 1).</param>
    /// <param name="state">The arguments; must stay valid until the call returns.</param>
    /// <param name="thread">Calls the kernel method with the arguments.</param>
    public static void Run<TState>(Dim3 groups, Dim3 groupSize, TState* state, delegate*<TState*, void> thread)
        where TState : unmanaged
    {
        Positive(groups, nameof(groups));
        Positive(groupSize, nameof(groupSize));
        ArgumentNullException.ThrowIfNull(state);
        if (thread == null) throw new ArgumentNullException(nameof(thread));
        long groupCount = groups.Size;
        if (groupCount > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, "A CPU launch runs at most int.MaxValue groups.");

        var job = new Job((nint)state, (nint)thread, groups, groupSize);
        try
        {
            Parallel.For(0, (int)groupCount, job.RunGroup);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static void Positive(Dim3 size, string name)
    {
        if (size.X < 1 || size.Y < 1 || size.Z < 1)
            throw new ArgumentOutOfRangeException(name, size, $"Every dimension of '{name}' must be at least 1.");
    }

    private sealed class Job(nint state, nint thread, Dim3 groups, Dim3 groupSize)
    {
        public void RunGroup(int index)
        {
            var group = new Dim3(index % groups.X, index / groups.X % groups.Y, index / groups.X / groups.Y);
            var context = CpuKernelContext.Enter(groups, groupSize, group);
            var body = (delegate*<void*, void>)thread;
            try
            {
                for (int z = 0; z < groupSize.Z; z++)
                for (int y = 0; y < groupSize.Y; y++)
                for (int x = 0; x < groupSize.X; x++)
                {
                    context.BeginThread(new Dim3(x, y, z));
                    body((void*)state);
                }
            }
            finally
            {
                context.EndGroup();
            }
        }
    }
}

using System.Runtime.InteropServices;
using Gpt.Kernels.Compute;

namespace Gpt.Kernels;

/// <summary>
/// How the scalar references run their <c>[Kernel]</c> bodies on the CPU (<c>LaunchCpu</c>): the same method
/// the GPU devices launch is the one reference per op. Groups of <see cref="GroupSize"/> threads cover the
/// outputs; a launch needs at least one group, so callers return early when there is nothing to do.
/// </summary>
internal static class ReferenceLaunch
{
    /// <summary>Threads per group for one-thread-per-output references.</summary>
    public const int GroupSize = 256;

    /// <summary>Enough groups of <see cref="GroupSize"/> threads for <paramref name="threads"/> threads (at least one).</summary>
    public static Dim3 Groups(int threads) => Math.Max(1, (threads + GroupSize - 1) / GroupSize);

    /// <summary>A read-only span as the <see cref="Span{T}"/> <c>LaunchCpu</c> takes; the kernels only read it.</summary>
    public static Span<T> Writable<T>(ReadOnlySpan<T> span) where T : unmanaged =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(span), span.Length);
}

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Splits [0, count) into contiguous ranges and runs a range body on each, across
/// <see cref="CpuParallel"/> when the work is large enough to pay for the hand-off, inline otherwise.
/// </summary>
/// <remarks>Only for work whose result does not depend on where the ranges are cut (elementwise ops,
/// independent rows); split reductions use fixed chunks instead.</remarks>
internal static unsafe class CpuRanges
{
    private struct Job
    {
        public delegate*<void*, int, int, void> Body;
        public void* State;
        public int ChunkSize;
        public int Count;
    }

    /// <summary>Runs body(state, start, length) over ranges covering [0, count).</summary>
    /// <param name="count">Number of items (elements or rows).</param>
    /// <param name="grain">Fewest items worth sending to another thread; at most this many run inline.</param>
    /// <param name="state">Passed unchanged to the body.</param>
    /// <param name="body">A static function that must not throw.</param>
    public static void For(int count, int grain, void* state, delegate*<void*, int, int, void> body)
    {
        if (count <= 0) return;
        if (count <= grain || CpuParallel.ThreadCount == 1)
        {
            body(state, 0, count);
            return;
        }
        int chunks = CpuParallel.Chunks(count, grain, out int chunkSize);
        var job = new Job { Body = body, State = state, ChunkSize = chunkSize, Count = count };
        CpuParallel.For(chunks, &job, &RunChunk);
    }

    private static void RunChunk(void* state, int chunk)
    {
        ref Job job = ref CpuParallel.State<Job>(state);
        int start = chunk * job.ChunkSize;
        job.Body(job.State, start, Math.Min(job.ChunkSize, job.Count - start));
    }
}

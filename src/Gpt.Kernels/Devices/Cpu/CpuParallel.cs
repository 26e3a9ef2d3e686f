using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// Runs data-parallel loops on a fixed set of worker threads without allocating, so a training
/// step in steady state creates no garbage. The caller thread takes part in its own loop.
/// </summary>
/// <remarks>
/// One loop runs on the workers at a time. A loop started while another is running (a second
/// request, or a loop nested in a loop body) runs inline on its caller's thread instead of
/// waiting: concurrent callers never block each other. Loop bodies receive the item index and an
/// opaque pointer to caller-owned state (typically a struct on the caller's stack); the caller does
/// not return before every item has completed, so that state stays valid.
/// Determinism: the partition of work into items is the caller's; results that depend only on
/// per-item computation are independent of which thread ran which item.
/// </remarks>
internal static unsafe class CpuParallel
{
    private static readonly SemaphoreSlim Wake = new(0, int.MaxValue);
    private static int _busy;

    // The published job. _ticket holds (generation << 32) | next unclaimed item; the other fields
    // are written before the ticket is published, and workers validate the generation on each claim.
    private static long _ticket;
    private const long ItemMask = 0xFFFFFFFF;

    // The item part of a ticket whose job is being written: no item can be claimed (it is at least any count).
    private const long Closed = int.MaxValue;

    private static delegate*<void*, int, void> _body;
    private static void* _state;
    private static int _count;
    private static int _completed;

    [ThreadStatic] private static bool _isWorker;

    /// <summary>Number of threads a loop runs on (the caller included). Set by the
    /// <c>GPT_NUM_THREADS</c> environment variable, otherwise the processor count.</summary>
    public static int ThreadCount { get; } = ReadThreadCount();

    static CpuParallel()
    {
        for (int i = 1; i < ThreadCount; i++)
        {
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"gpt-cpu-{i}" };
            thread.Start();
        }
    }

    /// <summary>Runs <paramref name="body"/>(state, i) for every i in [0, count) across the worker
    /// threads and returns when all have completed.</summary>
    /// <param name="count">Number of items; at most <see cref="int.MaxValue"/>.</param>
    /// <param name="state">Pointer passed unchanged to every call of the body.</param>
    /// <param name="body">A static function; it must not throw.</param>
    public static void For(int count, void* state, delegate*<void*, int, void> body)
    {
        if (count <= 0) return;
        if (count == 1 || ThreadCount == 1 || _isWorker || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(state, i);
            return;
        }

        try
        {
            // The new generation is published closed while the job fields change, then opened: a worker
            // woken late by an earlier loop's release cannot pair this loop's body with the last one's
            // state or count, nor claim an item before the fields are whole.
            long generation = (Volatile.Read(ref _ticket) >> 32) + 1;
            Volatile.Write(ref _ticket, (generation << 32) | Closed);
            _body = body;
            _state = state;
            _count = count;
            Volatile.Write(ref _completed, 0);
            Volatile.Write(ref _ticket, generation << 32);
            Wake.Release(Math.Min(ThreadCount - 1, count - 1));

            RunItems(generation, body, state, count);

            var spin = new SpinWait();
            while (Volatile.Read(ref _completed) < count) spin.SpinOnce(sleep1Threshold: -1);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Splits [0, length) into chunks of at least <paramref name="minChunk"/> elements,
    /// about a few per thread; returns the number of chunks and their size.</summary>
    /// <remarks>Use only where per-chunk results are combined independently of the chunking;
    /// reductions that must be bit-reproducible across thread counts should use a fixed chunk.</remarks>
    public static int Chunks(long length, int minChunk, out int chunkSize)
    {
        long target = Math.Max(minChunk, (length + ThreadCount * 4 - 1) / (ThreadCount * 4));
        chunkSize = (int)Math.Min(int.MaxValue, target);
        return (int)((length + chunkSize - 1) / chunkSize);
    }

    private static void RunItems(long generation, delegate*<void*, int, void> body, void* state, int count)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            if (ticket >> 32 != generation) return;
            int item = (int)(ticket & 0xFFFFFFFF);
            if (item >= count) return;
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
            body(state, item);
            Interlocked.Increment(ref _completed);
        }
    }

    private static void WorkerLoop()
    {
        _isWorker = true;
        while (true)
        {
            Wake.Wait();
            // Seqlock-style snapshot: the job fields belong to the open generation read on both sides.
            long generation;
            delegate*<void*, int, void> body;
            void* state;
            int count;
            while (true)
            {
                long ticket = Volatile.Read(ref _ticket);
                if ((ticket & ItemMask) == Closed)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                generation = ticket >> 32;
                body = _body;
                state = _state;
                count = _count;
                if (Volatile.Read(ref _ticket) >> 32 == generation) break;
            }
            if (body != null) RunItems(generation, body, state, count);
        }
    }

    private static int ReadThreadCount()
    {
        string? configured = Environment.GetEnvironmentVariable("GPT_NUM_THREADS");
        if (configured is not null && int.TryParse(configured, out int n) && n > 0) return n;
        return Environment.ProcessorCount;
    }

    /// <summary>Reinterprets the opaque state pointer of a loop body as the caller's struct.</summary>
    /// <typeparam name="T">The caller's state struct.</typeparam>
    /// <param name="state">The pointer passed to <see cref="For"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T State<T>(void* state) where T : unmanaged => ref Unsafe.AsRef<T>(state);
}

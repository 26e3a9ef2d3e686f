using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public unsafe class CpuParallelTests
{
    private struct Counts
    {
        public int* Runs;
    }

    private static void CountRun(void* state, int item) => Interlocked.Increment(ref CpuParallel.State<Counts>(state).Runs[item]);

    // Another body and state type, so a worker that paired one loop's body with the other's state would be seen.
    private struct Doubles
    {
        public long* Runs;
        public long Pad;
    }

    private static void CountDouble(void* state, int item) => Interlocked.Increment(ref CpuParallel.State<Doubles>(state).Runs[item]);

    [Fact]
    public void BackToBackLoopsRunEveryItemExactlyOnce()
    {
        // Short loops the caller often finishes alone leave workers to wake late, while the next loop is being
        // set up: the case where a worker could take a half-written job. Every item must still run once.
        const int rounds = 20_000, wide = 37;
        int* small = stackalloc int[3];
        long* large = stackalloc long[wide];
        for (int round = 0; round < rounds; round++)
        {
            int count = round % 3 + 1;
            new Span<int>(small, 3).Clear();
            var counts = new Counts { Runs = small };
            CpuParallel.For(count, &counts, &CountRun);
            for (int i = 0; i < 3; i++) Assert.Equal(i < count ? 1 : 0, small[i]);

            new Span<long>(large, wide).Clear();
            var doubles = new Doubles { Runs = large };
            CpuParallel.For(wide, &doubles, &CountDouble);
            for (int i = 0; i < wide; i++) Assert.Equal(1, large[i]);
        }
    }
}

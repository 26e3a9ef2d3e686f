using Gpt.Kernels.Random;

namespace Gpt.Sdk.Nn;

/// <summary>Counter-based random fills: element i gets the i-th draw of the stream, so results do not
/// depend on how the work is split across threads.</summary>
internal static class RandomFill
{
    private const int Chunk = 1 << 16;

    /// <summary>N(0, std²) by Box–Muller over draws (2i, 2i+1).</summary>
    public static unsafe void Gaussian(Span<float> values, long offset, float std, ulong seed)
    {
        fixed (float* pointer = values)
        {
            float* p = pointer;
            int count = values.Length;
            Parallel.For(0, (count + Chunk - 1) / Chunk, c =>
            {
                int end = Math.Min(count, (c + 1) * Chunk);
                for (int i = c * Chunk; i < end; i++)
                {
                    ulong index = (ulong)(offset + i);
                    double u1 = 1.0 - (CounterRng.Hash(seed, 2 * index) >> 11) * (1.0 / (1UL << 53));
                    double u2 = (CounterRng.Hash(seed, 2 * index + 1) >> 11) * (1.0 / (1UL << 53));
                    p[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
                }
            });
        }
    }

    /// <summary>U(−bound, bound) from draw 2i.</summary>
    public static void Uniform(Span<float> values, long offset, float bound, ulong seed)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double u = (CounterRng.Hash(seed, 2 * (ulong)(offset + i)) >> 11) * (1.0 / (1UL << 53));
            values[i] = (float)((2 * u - 1) * bound);
        }
    }
}

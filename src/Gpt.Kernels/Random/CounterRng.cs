using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Random;

/// <summary>
/// The SDK's one random-number family: a counter-based generator whose n-th draw is a pure hash of
/// (seed, n). Being stateless per draw, it gives the same numbers on any thread count and on any
/// device, and its whole state is two integers, which checkpoints store to resume bit-identically.
/// </summary>
/// <remarks>The mixer is SplitMix64's finaliser applied to seed and counter; its output passes the
/// usual statistical batteries and is cheap enough to call per element in dropout kernels.</remarks>
public struct CounterRng
{
    /// <summary>The seed this stream was created with.</summary>
    public ulong Seed { get; }

    /// <summary>Index of the next draw.</summary>
    public ulong Counter { get; set; }

    /// <summary>Creates a stream positioned at <paramref name="counter"/>.</summary>
    /// <param name="seed">The seed; equal seeds give equal streams.</param>
    /// <param name="counter">Index of the first draw.</param>
    public CounterRng(ulong seed, ulong counter = 0)
    {
        Seed = seed;
        Counter = counter;
    }

    /// <summary>Derives an independent stream for a named purpose (init, dropout, data order, ...).</summary>
    /// <param name="stream">A distinct number per purpose.</param>
    public readonly CounterRng Fork(ulong stream) => new(Hash(Seed, 0x9E3779B97F4A7C15UL ^ stream));

    /// <summary>Returns the next 64 random bits.</summary>
    public ulong NextUInt64() => Hash(Seed, Counter++);

    /// <summary>Returns a uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => ToUnitFloat(NextUInt64());

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    /// <param name="maxExclusive">Upper bound, positive.</param>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Multiply-shift maps 32 random bits to the range with bias below 2^-32 per value.
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>Returns a standard normal sample (Box–Muller; consumes two draws).</summary>
    public float NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log stays finite
        double u2 = NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>The stateless draw: 64 random bits for (seed, index).</summary>
    /// <param name="seed">Stream seed.</param>
    /// <param name="index">Draw index.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, ulong index)
    {
        ulong z = seed + (index + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Maps 64 random bits to a uniform float in [0, 1).</summary>
    /// <param name="bits">Random bits; the top 24 are used.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUnitFloat(ulong bits) => (bits >> 40) * (1.0f / (1 << 24));
}

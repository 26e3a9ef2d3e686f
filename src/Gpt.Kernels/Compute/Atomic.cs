namespace Gpt.Kernels.Compute;

/// <summary>Atomic read-modify-write operations on global or shared memory; each returns the value the
/// memory held before. Float additions from many threads land in an unspecified order, so their sum can
/// differ in the last bits from run to run.</summary>
public static class Atomic
{
    /// <summary>target += value, atomically.</summary>
    /// <param name="target">An element of a view, e.g. <c>ref sums[i]</c>.</param>
    /// <param name="value">The amount to add.</param>
    public static float Add(ref float target, float value)
    {
        float old = Volatile.Read(ref target);
        while (true)
        {
            float seen = Interlocked.CompareExchange(ref target, old + value, old);
            if (BitConverter.SingleToInt32Bits(seen) == BitConverter.SingleToInt32Bits(old)) return old;
            old = seen;
        }
    }

    /// <summary>target += value, atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The amount to add.</param>
    public static int Add(ref int target, int value) => Interlocked.Add(ref target, value) - value;

    /// <summary>target = max(target, value), atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The candidate.</param>
    public static float Max(ref float target, float value)
    {
        float old = Volatile.Read(ref target);
        while (true)
        {
            float seen = Interlocked.CompareExchange(ref target, KernelMath.Max(old, value), old);
            if (BitConverter.SingleToInt32Bits(seen) == BitConverter.SingleToInt32Bits(old)) return old;
            old = seen;
        }
    }

    /// <summary>target = max(target, value), atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The candidate.</param>
    public static int Max(ref int target, int value)
    {
        int old = Volatile.Read(ref target);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref target, Math.Max(old, value), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    /// <summary>target = min(target, value), atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The candidate.</param>
    public static float Min(ref float target, float value)
    {
        float old = Volatile.Read(ref target);
        while (true)
        {
            float seen = Interlocked.CompareExchange(ref target, KernelMath.Min(old, value), old);
            if (BitConverter.SingleToInt32Bits(seen) == BitConverter.SingleToInt32Bits(old)) return old;
            old = seen;
        }
    }

    /// <summary>target = min(target, value), atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The candidate.</param>
    public static int Min(ref int target, int value)
    {
        int old = Volatile.Read(ref target);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref target, Math.Min(old, value), old);
            if (seen == old) return old;
            old = seen;
        }
    }

    /// <summary>target = value, atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="value">The new value.</param>
    public static int Exchange(ref int target, int value) => Interlocked.Exchange(ref target, value);

    /// <summary>If target equals <paramref name="comparand"/>, sets it to <paramref name="value"/>, atomically.</summary>
    /// <param name="target">An element of a view.</param>
    /// <param name="comparand">The value expected.</param>
    /// <param name="value">The value stored when the expectation holds.</param>
    public static int CompareExchange(ref int target, int comparand, int value) =>
        Interlocked.CompareExchange(ref target, value, comparand);
}

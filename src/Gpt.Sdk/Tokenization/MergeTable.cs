using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// (left id, right id) → (rank, merged id): which adjacent tokens may merge and how early. An
/// open-addressing hash table whose slots hold key, rank and result together, so a lookup (the inner
/// loop of BPE) touches one cache line.
/// </summary>
internal sealed class MergeTable
{
    private const long Empty = -1;
    private const long NoMerge = long.MaxValue;
    private readonly Slot[] _slots;
    // Pairs of two ids below 256 (in practice the byte tokens, every piece's starting point) are looked
    // up directly: (rank << 32) | result, or NoMerge.
    private readonly long[] _small = new long[256 * 256];
    private readonly int _shift;

    public MergeTable(int capacityHint)
    {
        int size = 16;
        while (size < capacityHint * 2) size <<= 1;
        _slots = new Slot[size];
        _slots.AsSpan().Fill(new Slot(Empty, 0, 0));
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        _small.AsSpan().Fill(NoMerge);
    }

    public int Count { get; private set; }

    /// <summary>Adds a merge; false when the pair is already there (the first rank stays).</summary>
    public bool TryAdd(int left, int right, int rank, int result)
    {
        if (Count * 2 >= _slots.Length) throw new InvalidOperationException("MergeTable is full; size it from the merge count.");
        long key = Key(left, right);
        int index = Index(key);
        while (_slots[index].Key != Empty)
        {
            if (_slots[index].Key == key) return false;
            index = (index + 1) & (_slots.Length - 1);
        }
        _slots[index] = new Slot(key, rank, result);
        if ((uint)(left | right) < 256) _small[(left << 8) | right] = ((long)rank << 32) | (uint)result;
        Count++;
        return true;
    }

    /// <summary>Rank of merging <paramref name="left"/> with <paramref name="right"/>, or <see cref="int.MaxValue"/> when they never merge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Rank(int left, int right, out int result)
    {
        if ((uint)(left | right) < 256)
        {
            long packed = _small[(left << 8) | right];
            result = (int)packed;
            return packed == NoMerge ? int.MaxValue : (int)(packed >> 32);
        }
        long key = Key(left, right);
        ref Slot first = ref MemoryMarshal.GetArrayDataReference(_slots);
        int mask = _slots.Length - 1;
        for (int index = Index(key); ; index = (index + 1) & mask)
        {
            ref Slot slot = ref Unsafe.Add(ref first, index);
            if (slot.Key == key)
            {
                result = slot.Result;
                return slot.Rank;
            }
            if (slot.Key == Empty)
            {
                result = -1;
                return int.MaxValue;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> _shift);

    private readonly record struct Slot(long Key, int Rank, int Result);
}

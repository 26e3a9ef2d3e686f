using System.Runtime.CompilerServices;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// (left id, right id) → (rank, merged id): which adjacent tokens may merge and how early. An
/// open-addressing hash table on one 64-bit key, because this lookup is the inner loop of BPE.
/// </summary>
internal sealed class MergeTable
{
    private const long Empty = -1;
    private readonly long[] _keys;
    private readonly int[] _ranks;
    private readonly int[] _results;
    private readonly int _shift;

    public MergeTable(int capacityHint)
    {
        int size = 16;
        while (size < capacityHint * 2) size <<= 1;
        _keys = new long[size];
        Array.Fill(_keys, Empty);
        _ranks = new int[size];
        _results = new int[size];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
    }

    public int Count { get; private set; }

    /// <summary>Adds a merge; false when the pair is already there (the first rank stays).</summary>
    public bool TryAdd(int left, int right, int rank, int result)
    {
        if (Count * 2 >= _keys.Length) throw new InvalidOperationException("MergeTable is full; size it from the merge count.");
        long key = Key(left, right);
        int slot = Slot(key);
        while (_keys[slot] != Empty)
        {
            if (_keys[slot] == key) return false;
            slot = (slot + 1) & (_keys.Length - 1);
        }
        _keys[slot] = key;
        _ranks[slot] = rank;
        _results[slot] = result;
        Count++;
        return true;
    }

    /// <summary>Rank of merging <paramref name="left"/> with <paramref name="right"/>, or <see cref="int.MaxValue"/> when they never merge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Rank(int left, int right, out int result)
    {
        long key = Key(left, right);
        int slot = Slot(key);
        while (true)
        {
            long found = _keys[slot];
            if (found == key)
            {
                result = _results[slot];
                return _ranks[slot];
            }
            if (found == Empty)
            {
                result = -1;
                return int.MaxValue;
            }
            slot = (slot + 1) & (_keys.Length - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> _shift);
}

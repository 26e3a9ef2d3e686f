using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// Remembers the ids of recently seen pieces (" the", "ing", "\n"), which make up most of any text.
/// Direct-mapped like a CPU cache: a fixed array of slots, a new piece evicts whatever shared its
/// slot. That keeps memory bounded, lookups allocation-free and the cache lock-free: a slot holds an
/// immutable entry that is replaced whole, so concurrent readers see either the old or the new entry.
/// </summary>
internal sealed class PieceCache
{
    /// <summary>Longer pieces are not cached: they are rare and would pin large strings.</summary>
    public const int MaxPieceLength = 32;

    private readonly Entry?[] _slots;
    private readonly int _shift;

    public PieceCache(int slotBits = 17)
    {
        _slots = new Entry?[1 << slotBits];
        _shift = 64 - slotBits;
    }

    /// <summary>The cached ids of <paramref name="piece"/>, or an empty span when it is not cached.</summary>
    /// <param name="piece">The piece to look up.</param>
    /// <param name="slot">Where the piece belongs, for <see cref="Set"/> after a miss.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> TryGet(ReadOnlySpan<char> piece, out int slot)
    {
        slot = Slot(piece);
        Entry? entry = Volatile.Read(ref _slots[slot]);
        if (entry is null || !entry.Holds(piece))
        {
            entry = Volatile.Read(ref _slots[slot ^ 1]);
            if (entry is null || !entry.Holds(piece)) return default;
        }
        return entry.Ids is { } ids ? ids : new ReadOnlySpan<int>(in entry.Single);
    }

    public void Set(int slot, ReadOnlySpan<char> piece, ReadOnlySpan<int> ids)
    {
        if (piece.Length > MaxPieceLength) return;
        var entry = new Entry(piece, ids);
        // Two-way sets: the newcomer takes the first place and pushes the old first to the second,
        // so one rare piece cannot evict a frequent one outright.
        Volatile.Write(ref _slots[slot ^ 1], Volatile.Read(ref _slots[slot]));
        Volatile.Write(ref _slots[slot], entry);
    }

    // A multiplicative hash over 8-byte words; pieces are short, so this is a handful of instructions.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ReadOnlySpan<char> piece)
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(piece);
        ulong h = (ulong)bytes.Length * 0x9E3779B97F4A7C15UL;
        while (bytes.Length >= 8)
        {
            h = (h ^ MemoryMarshal.Read<ulong>(bytes)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 29;
            bytes = bytes.Slice(8);
        }
        if (bytes.Length >= 4)
        {
            h = (h ^ MemoryMarshal.Read<uint>(bytes)) * 0xC4CEB9FE1A85EC53UL;
            h ^= h >> 29;
            bytes = bytes.Slice(4);
        }
        if (bytes.Length >= 2) h = (h ^ MemoryMarshal.Read<ushort>(bytes)) * 0xFF51AFD7ED558CCDUL;
        h ^= h >> 32;
        return (int)((h * 0x9E3779B97F4A7C15UL) >> _shift) & ~1; // the first slot of a two-way set
    }

    // Most pieces are a few characters and one token; both are kept inside the entry, so that a hit
    // reads one object instead of chasing pointers to a string and an array.
    private sealed class Entry
    {
        public readonly int Single;
        public readonly int[]? Ids;
        private readonly int _length;
        private readonly ShortText _short;
        private readonly string? _long;

        public Entry(ReadOnlySpan<char> piece, ReadOnlySpan<int> ids)
        {
            if (ids.Length == 1) Single = ids[0];
            else Ids = ids.ToArray();
            _length = piece.Length;
            if (piece.Length <= ShortText.Capacity) piece.CopyTo(_short);
            else _long = piece.ToString();
        }

        public bool Holds(ReadOnlySpan<char> piece) =>
            piece.Length == _length && piece.SequenceEqual(_long is null ? ((ReadOnlySpan<char>)_short)[.._length] : _long);
    }

    [InlineArray(Capacity)]
    private struct ShortText
    {
        public const int Capacity = 12;
        private char _first;
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Gpt.Sdk.Tokenization;

public sealed partial class BpeTokenizer
{
    /// <summary>
    /// The text of <paramref name="ids"/>: their bytes joined and read as UTF-8. Bytes that do not form
    /// a whole character (a sequence cut inside an emoji) become U+FFFD, so
    /// <c>Decode(Encode(s)) == s</c> for every valid string and never throws for ids in range.
    /// </summary>
    /// <param name="ids">Token ids, each in [0, <see cref="VocabularySize"/>).</param>
    public string Decode(ReadOnlySpan<int> ids)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ByteCount(ids) + DecodePadding);
        try
        {
            return Encoding.UTF8.GetString(buffer, 0, CopyBytes(ids, buffer));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The bytes of <paramref name="ids"/> joined, without reading them as UTF-8.</summary>
    /// <param name="ids">Token ids, each in [0, <see cref="VocabularySize"/>).</param>
    public byte[] DecodeToBytes(ReadOnlySpan<int> ids)
    {
        byte[] bytes = new byte[ByteCount(ids) + DecodePadding];
        Array.Resize(ref bytes, CopyBytes(ids, bytes));
        return bytes;
    }

    /// <summary>
    /// A decoder for streaming generation: feed it ids one at a time and it returns the text each one
    /// completes, holding back the bytes of a character until the token that finishes it arrives.
    /// </summary>
    public StreamingDecoder CreateStreamingDecoder() => new(this);

    // Checks every id and sums their lengths, so that the copy below needs no checks at all.
    private int ByteCount(ReadOnlySpan<int> ids)
    {
        long total = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabularySize || _tokenKinds[id] == Unassigned)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"not a token id of this vocabulary (size {VocabularySize}).");
            total += _tokenOffsets[id + 1] - _tokenOffsets[id];
        }
        return total <= Array.MaxLength - DecodePadding
            ? (int)total
            : throw new ArgumentException($"the ids decode to {total:N0} bytes, more than one array can hold.", nameof(ids));
    }

    // Tokens of up to 16 bytes move as one 16-byte vector: the arena and the destination both carry
    // 16 bytes of padding, so the over-read and over-write stay in bounds. The ids were checked by ByteCount.
    private int CopyBytes(ReadOnlySpan<int> ids, byte[] destination)
    {
        int position = 0;
        ref byte source = ref MemoryMarshal.GetArrayDataReference(_tokenBytes);
        ref byte target = ref MemoryMarshal.GetArrayDataReference(destination);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(_tokenOffsets);
        foreach (int id in ids)
        {
            int start = Unsafe.Add(ref offsets, id);
            int length = Unsafe.Add(ref offsets, id + 1) - start;
            if (length <= 16)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, position), Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref source, start)));
            else
                _tokenBytes.AsSpan(start, length).CopyTo(destination.AsSpan(position));
            position += length;
        }
        return position;
    }
}

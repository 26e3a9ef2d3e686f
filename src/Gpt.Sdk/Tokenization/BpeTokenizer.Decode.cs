using System.Buffers;
using System.Runtime.CompilerServices;
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
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ids.Length * 8 + DecodePadding);
        try
        {
            int length = DecodeBytes(ids, ref buffer);
            return Encoding.UTF8.GetString(buffer, 0, length);
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
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ids.Length * 8 + DecodePadding);
        try
        {
            int length = DecodeBytes(ids, ref buffer);
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A decoder for streaming generation: feed it ids one at a time and it returns the text each one
    /// completes, holding back the bytes of a character until the token that finishes it arrives.
    /// </summary>
    public StreamingDecoder CreateStreamingDecoder() => new(this);

    // Copies each token's bytes into buffer (rented from the shared pool; replaced when too small)
    // and returns the total length. Tokens of up to 16 bytes move as one 16-byte vector: the arena and
    // the buffer both carry 16 bytes of padding, so the over-read and over-write stay in bounds.
    private int DecodeBytes(ReadOnlySpan<int> ids, ref byte[] buffer)
    {
        int position = 0;
        ref byte source = ref _tokenBytes[0];
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabularySize || _tokenKinds[id] == Unassigned)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"not a token id of this vocabulary (size {VocabularySize}).");
            int start = _tokenOffsets[id];
            int length = _tokenOffsets[id + 1] - start;
            if (position + length + DecodePadding > buffer.Length) Grow(ref buffer, position, length);
            if (length <= 16)
            {
                var chunk = Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref source, start));
                Unsafe.WriteUnaligned(ref buffer[position], chunk);
            }
            else
            {
                _tokenBytes.AsSpan(start, length).CopyTo(buffer.AsSpan(position));
            }
            position += length;
        }
        return position;
    }

    private static void Grow(ref byte[] buffer, int used, int needed)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, used + needed + DecodePadding));
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}

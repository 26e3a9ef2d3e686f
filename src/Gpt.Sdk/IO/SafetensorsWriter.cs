using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gpt.Sdk.IO;

/// <summary>
/// Writes safetensors files that Hugging Face's <c>safetensors</c> loads (and <see cref="SafetensorsFile"/> reads).
/// </summary>
/// <remarks>
/// Tensors are written in the order given, each one's data right after the previous one's; any order
/// is valid for readers (Hugging Face's own writer sorts by alignment, then name). The header is padded
/// with spaces to a multiple of 8 bytes, as the reference writer does, so the data starts aligned. The
/// file is replaced all at once (a temporary file renamed over it): a failed write leaves any previous file intact.
/// </remarks>
public static class SafetensorsWriter
{
    private const int ChunkElements = 1 << 15;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="tensors">The tensors, with unique names.</param>
    /// <param name="metadata">Free-form strings stored under <c>__metadata__</c>, or <see langword="null"/>.</param>
    /// <param name="dtype">Storage type: <see cref="SafetensorsDType.F32"/> (exact),
    /// <see cref="SafetensorsDType.F16"/> or <see cref="SafetensorsDType.BF16"/> (both rounded to nearest even).</param>
    /// <exception cref="ArgumentException">A name is empty or repeated, or a shape does not match its data.</exception>
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (dtype is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Tensors can be written as F32, F16 or BF16.");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors files are little-endian; writing them on a big-endian machine is not supported.");
        Check(tensors, metadata);

        byte[] header = Header(tensors, metadata, dtype);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (SafetensorsTensor tensor in tensors)
                WriteData(stream, tensor.Data.Span, dtype);
        });
    }

    private static void Check(IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            SafetensorsTensor tensor = tensors[i];
            if (string.IsNullOrEmpty(tensor.Name))
                throw new ArgumentException($"Tensor {i} has no name; give every tensor a unique, non-empty name.", nameof(tensors));
            if (tensor.Name == "__metadata__")
                throw new ArgumentException("'__metadata__' is reserved for the metadata; rename the tensor.", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Tensor name '{tensor.Name}' appears twice; names must be unique within a file.", nameof(tensors));
            if (tensor.Shape is null)
                throw new ArgumentException($"Tensor '{tensor.Name}' has no shape; use an empty shape for a scalar.", nameof(tensors));
            long count = 1;
            foreach (int size in tensor.Shape)
            {
                if (size < 0)
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] with a negative dimension.", nameof(tensors));
                // Saturate just past what a ReadOnlyMemory can hold: no overflow, and a later 0 still gives 0.
                count = Math.Min(count * size, (long)int.MaxValue + 1);
            }
            if (count != tensor.Data.Length)
                throw new ArgumentException(
                    $"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({count} elements) but {tensor.Data.Length} values; " +
                    "the data must hold exactly the product of the shape.", nameof(tensors));
        }
        if (metadata is not null)
            foreach ((string key, string value) in metadata)
                if (key is null || value is null)
                    throw new ArgumentException($"Metadata '{key}' has a null key or value; metadata maps strings to strings.", nameof(metadata));
    }

    private static byte[] Header(IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata, SafetensorsDType dtype)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + 96 * tensors.Count);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach ((string key, string value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            string dtypeName = SafetensorsDTypes.HeaderName(dtype);
            int elementSize = SafetensorsDTypes.Size(dtype);
            long offset = 0;
            foreach (SafetensorsTensor tensor in tensors)
            {
                long end = offset + (long)tensor.Data.Length * elementSize;
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", dtypeName);
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) & ~7;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, ReadOnlySpan<float> data, SafetensorsDType dtype)
    {
        if (dtype == SafetensorsDType.F32)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }
        ushort[] chunk = ArrayPool<ushort>.Shared.Rent(Math.Min(ChunkElements, Math.Max(data.Length, 1)));
        try
        {
            for (int start = 0; start < data.Length; start += ChunkElements)
            {
                ReadOnlySpan<float> source = data.Slice(start, Math.Min(ChunkElements, data.Length - start));
                Span<ushort> bits = chunk.AsSpan(0, source.Length);
                if (dtype == SafetensorsDType.BF16)
                    FloatFormats.SingleToBFloat16(source, bits);
                else
                    FloatFormats.SingleToHalf(source, MemoryMarshal.Cast<ushort, Half>(bits));
                stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<ushort>)bits));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(chunk);
        }
    }
}

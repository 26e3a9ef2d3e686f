using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The vector index file: a collection saved by <see cref="FlatVectorCollection{TKey, TRecord}.SaveAsync"/>.
/// Layout, little-endian: the magic <c>GPTVIDX\0</c>, the format version (u32), the header's length (u32),
/// the header (UTF-8 JSON: collection, count, dimensions, distance function, key, vector and data property
/// names and types), the vectors (count × dimensions float32, row after row), the records' key and data
/// values (a JSON array of [key, data...] arrays), that section's length (u64), an XxHash3 of everything
/// before it (u64), and the end marker <c>GPTVEND\0</c>.
/// </summary>
/// <remarks>
/// The checksum and the end marker make a truncated or corrupted file a clear error on load instead of
/// wrong search results; the write goes through a temporary file renamed into place, so a crash mid-save
/// leaves the previous file as it was.
/// </remarks>
public static class VectorIndexFile
{
    /// <summary>The format version this SDK writes and reads.</summary>
    public const int FormatVersion = 1;

    private const int PrefixLength = 16, TrailerLength = 24;
    private static readonly byte[] Magic = "GPTVIDX\0"u8.ToArray();
    private static readonly byte[] EndMagic = "GPTVEND\0"u8.ToArray();

    /// <summary>Reads the header of the index at <paramref name="path"/> (not the vectors) and checks the file's size and end marker.</summary>
    /// <param name="path">The index file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a vector index, is of an unknown version, or is truncated.</exception>
    public static VectorIndexInfo ReadInfo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = OpenRead(path);
        return ReadLayout(stream, path).Info;
    }

    /// <summary>Writes <paramref name="table"/> (the caller holds its read lock) to <paramref name="stream"/>.</summary>
    internal static void Write<TKey>(Stream stream, VectorTable<TKey> table, string collection, IProgress<long>? progress,
        CancellationToken cancellationToken) where TKey : notnull
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Vector index files are written on little-endian machines only.");
        var schema = table.Schema;
        var output = new HashingStream(stream);
        byte[] header = Header(table, collection);
        Span<byte> prefix = stackalloc byte[PrefixLength];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[12..], (uint)header.Length);
        output.Write(prefix);
        output.Write(header);

        var rows = table.Rows;
        for (int c = 0; c < rows.ChunkCount; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (float[] data, int count) = rows.Chunk(c);
            output.Write(MemoryMarshal.AsBytes(data.AsSpan(0, count * rows.Dimensions)));
            progress?.Report(output.Written);
        }

        long fieldsStart = output.Written;
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartArray();
            foreach (object?[] fields in table.Fields)
            {
                json.WriteStartArray();
                JsonSerializer.Serialize(json, fields[0], schema.KeyType);
                for (int i = 0; i < schema.Data.Count; i++) JsonSerializer.Serialize(json, fields[i + 1], schema.Data[i].Type);
                json.WriteEndArray();
                if (json.BytesPending > 1 << 16) json.Flush();
            }
            json.WriteEndArray();
        }
        cancellationToken.ThrowIfCancellationRequested();
        Span<byte> trailer = stackalloc byte[TrailerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, (ulong)(output.Written - fieldsStart));
        output.Write(trailer[..8]);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[8..], output.Hash);
        EndMagic.CopyTo(trailer[16..]);
        stream.Write(trailer[8..]);
        progress?.Report(output.Written + 16);
    }

    /// <summary>Reads the index at <paramref name="path"/> into a new table for <paramref name="schema"/>.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    /// <exception cref="InvalidOperationException">The file was written for records of another shape.</exception>
    internal static VectorTable<TKey> Read<TKey>(string path, VectorTableSchema schema, CancellationToken cancellationToken) where TKey : notnull
    {
        using var stream = OpenRead(path);
        var (info, headerBytes) = ReadLayout(stream, path);
        CheckSchema(info, schema, path);
        var hash = new XxHash3();
        hash.Append(headerBytes);
        var table = new VectorTable<TKey>(schema);
        var rows = table.Rows;
        int d = info.Dimensions;
        float[] buffer = new float[Math.Max(1, (1 << 20) / d) * d];
        var metric = schema.Metric;
        for (int done = 0; done < info.Count;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(info.Count - done, buffer.Length / d);
            Span<byte> bytes = MemoryMarshal.AsBytes(buffer.AsSpan(0, n * d));
            stream.ReadExactly(bytes);
            hash.Append(bytes);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> vector = buffer.AsSpan(i * d, d);
                var (scale, bias) = metric.RowConstants(VectorChecks.SquaredNorm(vector));
                rows.Add(vector, scale, bias);
            }
            done += n;
        }
        long fieldsLength = stream.Length - stream.Position - TrailerLength;
        byte[] fieldsJson = new byte[fieldsLength + 8];
        stream.ReadExactly(fieldsJson);
        hash.Append(fieldsJson);
        Span<byte> stored = stackalloc byte[8];
        stream.ReadExactly(stored);
        if (BinaryPrimitives.ReadUInt64LittleEndian(stored) != hash.GetCurrentHashAsUInt64())
            throw Corrupt(path, "its checksum does not match its content (the file was damaged after it was written)");
        try
        {
            ReadFields(fieldsJson.AsSpan(0, (int)fieldsLength), table, info.Count);
        }
        catch (Exception error) when (error is JsonException or InvalidDataException or InvalidCastException or NotSupportedException)
        {
            throw Corrupt(path, $"its records cannot be read back ({error.Message})", error);
        }
        return table;
    }

    private static void ReadFields<TKey>(ReadOnlySpan<byte> json, VectorTable<TKey> table, int count) where TKey : notnull
    {
        var schema = table.Schema;
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartArray);
        for (int row = 0; row < count; row++)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            var fields = new object?[schema.Data.Count + 1];
            reader.Read();
            fields[0] = JsonSerializer.Deserialize(ref reader, schema.KeyType) ?? throw new InvalidDataException($"record {row} has no key");
            for (int i = 0; i < schema.Data.Count; i++)
            {
                reader.Read();
                fields[i + 1] = JsonSerializer.Deserialize(ref reader, schema.Data[i].Type);
            }
            Expect(ref reader, JsonTokenType.EndArray);
            table.AddFieldsUnpublished((TKey)fields[0]!, fields);
        }
        Expect(ref reader, JsonTokenType.EndArray);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (!reader.Read() || reader.TokenType != token)
            throw new InvalidDataException($"expected {token} at byte {reader.TokenStartIndex} of the records");
    }

    private static byte[] Header<TKey>(VectorTable<TKey> table, string collection) where TKey : notnull
    {
        var schema = table.Schema;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("collection", collection);
            json.WriteNumber("count", table.Rows.Count);
            json.WriteNumber("dimensions", schema.Dimensions);
            json.WriteString("distance", schema.Metric.Function);
            json.WriteStartObject("key");
            json.WriteString("name", schema.KeyName);
            json.WriteString("type", schema.KeyType.FullName);
            json.WriteEndObject();
            json.WriteString("vector", schema.VectorName);
            json.WriteStartArray("data");
            foreach (var (name, type) in schema.Data)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("type", type.FullName);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    // Checks the prefix, header, size and trailer; leaves the stream at the first vector. Returns the header and the bytes the checksum starts with.
    private static (VectorIndexInfo Info, byte[] HashedPrefix) ReadLayout(FileStream stream, string path)
    {
        long length = stream.Length;
        if (length < PrefixLength + TrailerLength)
            throw Corrupt(path, $"it is {length} bytes long, shorter than any index (truncated, or not an index)");
        byte[] prefix = new byte[PrefixLength];
        stream.ReadExactly(prefix);
        if (!prefix.AsSpan(0, 8).SequenceEqual(Magic))
            throw Corrupt(path, "it does not start with the vector index marker (it is some other kind of file)");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
        if (version != FormatVersion)
            throw new InvalidDataException($"'{path}' is a vector index of format version {version}; this SDK reads version {FormatVersion}. Rebuild the index with this version.");
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(12));
        if (headerLength > length - PrefixLength - TrailerLength)
            throw Corrupt(path, $"its header claims {headerLength} bytes, more than the file holds (truncated or damaged)");
        byte[] hashed = new byte[PrefixLength + headerLength];
        prefix.CopyTo(hashed, 0);
        stream.ReadExactly(hashed.AsSpan(PrefixLength));
        var info = ParseHeader(hashed.AsSpan(PrefixLength), path, length);
        long vectorBytes = (long)info.Count * info.Dimensions * sizeof(float);
        long fieldsLength = length - hashed.Length - vectorBytes - TrailerLength;
        if (fieldsLength < 2)
            throw Corrupt(path, $"it is {length} bytes long, too short for the {info.Count} vectors of {info.Dimensions} floats its header announces (truncated)");
        long position = stream.Position;
        Span<byte> trailer = stackalloc byte[TrailerLength];
        stream.Position = length - TrailerLength;
        stream.ReadExactly(trailer);
        if (!trailer[16..].SequenceEqual(EndMagic))
            throw Corrupt(path, "it does not end with the end marker (truncated: it was not written to the end)");
        if (BinaryPrimitives.ReadUInt64LittleEndian(trailer) != (ulong)fieldsLength)
            throw Corrupt(path, "its section lengths do not add up to its size (truncated or damaged)");
        stream.Position = position;
        return (info, hashed);
    }

    private static VectorIndexInfo ParseHeader(ReadOnlySpan<byte> header, string path, long fileLength)
    {
        try
        {
            var reader = new Utf8JsonReader(header);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var key = root.GetProperty("key");
            var info = new VectorIndexInfo
            {
                FormatVersion = FormatVersion,
                Collection = root.GetProperty("collection").GetString()!,
                Count = root.GetProperty("count").GetInt32(),
                Dimensions = root.GetProperty("dimensions").GetInt32(),
                DistanceFunction = root.GetProperty("distance").GetString()!,
                Key = new VectorIndexProperty(key.GetProperty("name").GetString()!, key.GetProperty("type").GetString()!),
                VectorName = root.GetProperty("vector").GetString()!,
                Data = root.GetProperty("data").EnumerateArray()
                    .Select(p => new VectorIndexProperty(p.GetProperty("name").GetString()!, p.GetProperty("type").GetString()!)).ToArray(),
                FileLength = fileLength,
            };
            if (info.Count < 0 || info.Dimensions < 1)
                throw Corrupt(path, $"its header announces {info.Count} vectors of {info.Dimensions} floats");
            return info;
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Corrupt(path, $"its header is not valid ({error.Message})", error);
        }
    }

    private static void CheckSchema(VectorIndexInfo info, VectorTableSchema schema, string path)
    {
        bool same = info.Key.Name == schema.KeyName && info.Key.TypeName == schema.KeyType.FullName
            && info.VectorName == schema.VectorName && info.Dimensions == schema.Dimensions
            && info.DistanceFunction == schema.Metric.Function
            && info.Data.Select(p => (p.Name, p.TypeName)).SequenceEqual(schema.Data.Select(p => (p.Name, p.Type.FullName!)));
        if (!same)
            throw new InvalidOperationException(
                $"'{path}' holds records with key {info.Key.Name} ({info.Key.TypeName}), data [{string.Join(", ", info.Data.Select(p => $"{p.Name}: {p.TypeName}"))}] " +
                $"and vector {info.VectorName} of {info.Dimensions} floats ({info.DistanceFunction}), which is not the shape of this collection's records; " +
                "load it into a collection of the record type it was saved from (VectorIndexFile.ReadInfo shows it, and ToDefinition() gives a dynamic schema).");
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The vector index '{path}' does not exist.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    private static InvalidDataException Corrupt(string path, string what, Exception? inner = null) =>
        new($"'{path}' is not a usable vector index: {what}. Restore it from a copy or rebuild it (gpt index build).", inner);
}

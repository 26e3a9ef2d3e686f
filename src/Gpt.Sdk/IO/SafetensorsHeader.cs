using System.Text.Json;
using System.Text.Unicode;

namespace Gpt.Sdk.IO;

/// <summary>
/// Parses and checks a safetensors JSON header against the file it came from. Everything a reader
/// could trip over later is refused here, so reads never see an inconsistent entry.
/// </summary>
internal static class SafetensorsHeader
{
    private const string MetadataKey = "__metadata__";
    private const string Advice = "The file is truncated or corrupt, or was written by a broken tool; download or export it again.";

    /// <summary>Parsed header: tensors in data order and the free-form metadata.</summary>
    internal readonly record struct Contents(SafetensorsTensorInfo[] Tensors, Dictionary<string, string> Metadata);

    /// <summary>The exception for a file that breaks the format.</summary>
    public static ModelFileException Invalid(string path, string problem, string? tensor = null, Exception? inner = null) =>
        new(path, $"'{path}' is not a valid safetensors file: {problem}. {Advice}", tensor, inner);

    /// <param name="path">The file, for messages.</param>
    /// <param name="header">The N header bytes.</param>
    /// <param name="dataStart">File position of the data buffer (8 + N).</param>
    /// <param name="dataLength">Bytes after the header.</param>
    public static Contents Parse(string path, byte[] header, long dataStart, long dataLength)
    {
        // The format requires '{' first: it rules out byte-order marks and other prefixes (polyglot files).
        if (header.Length == 0 || header[0] != (byte)'{')
            throw Invalid(path, "the JSON header does not start with '{'");
        if (!Utf8.IsValid(header))
            throw Invalid(path, "the JSON header is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON ({ModelFileException.DescribeJsonError(e)})", inner: e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(path, $"the header is a JSON {document.RootElement.ValueKind}, not an object");

            var tensors = new List<SafetensorsTensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata is not null)
                        throw Invalid(path, $"'{MetadataKey}' appears twice in the header");
                    metadata = ParseMetadata(path, property.Value);
                    continue;
                }
                if (!names.Add(property.Name))
                    throw Invalid(path, $"tensor '{property.Name}' appears twice in the header", property.Name);
                tensors.Add(ParseTensor(path, property.Name, property.Value, dataStart, dataLength));
            }

            SafetensorsTensorInfo[] ordered = tensors.ToArray();
            CheckLayout(path, ordered, dataStart, dataLength);
            return new Contents(ordered, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
        }
    }

    private static Dictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"'{MetadataKey}' is a JSON {value.ValueKind}; it must be an object of string values");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"metadata '{entry.Name}' is a JSON {entry.Value.ValueKind}; metadata values must be strings");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Invalid(path, $"metadata key '{entry.Name}' appears twice");
        }
        return metadata;
    }

    private static SafetensorsTensorInfo ParseTensor(string path, string name, JsonElement entry, long dataStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"tensor '{name}' is a JSON {entry.ValueKind}; it must be an object with dtype, shape and data_offsets", name);

        if (!entry.TryGetProperty("dtype", out JsonElement dtypeElement))
            throw Invalid(path, $"tensor '{name}' has no 'dtype'", name);
        if (dtypeElement.ValueKind != JsonValueKind.String
            || !SafetensorsDTypes.TryParse(dtypeElement.GetString()!, out SafetensorsDType dtype))
            throw Invalid(path, $"tensor '{name}' has unknown dtype {dtypeElement.GetRawText()} (known: {SafetensorsDTypes.AllNames})", name);

        if (!entry.TryGetProperty("shape", out JsonElement shapeElement))
            throw Invalid(path, $"tensor '{name}' has no 'shape'", name);
        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw Invalid(path, $"tensor '{name}' has shape {shapeElement.GetRawText()}; it must be an array of non-negative integers", name);
        var shape = new long[shapeElement.GetArrayLength()];
        long elementCount = 1;
        int axis = 0;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
                throw Invalid(path, $"tensor '{name}' has shape {shapeElement.GetRawText()}; dimension {axis} ({dimension.GetRawText()}) is not a non-negative integer", name);
            shape[axis++] = size;
            elementCount = MultiplyOrMinusOne(elementCount, size);
        }
        long byteLength = MultiplyOrMinusOne(elementCount, SafetensorsDTypes.Size(dtype));
        if (byteLength < 0)
            throw Invalid(path, $"tensor '{name}' has shape {shapeElement.GetRawText()}, too many elements to address", name);

        if (!entry.TryGetProperty("data_offsets", out JsonElement offsetsElement))
            throw Invalid(path, $"tensor '{name}' has no 'data_offsets'", name);
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2
            || !TryGetOffset(offsetsElement[0], out long begin) || !TryGetOffset(offsetsElement[1], out long end))
            throw Invalid(path, $"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}; they must be [begin, end], two non-negative integers", name);
        if (begin > end)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}]: begin is after end", name);
        if (end > dataLength)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}] but the data buffer after the header holds only {dataLength} bytes", name);
        if (end - begin != byteLength)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}] ({end - begin} bytes) but shape {shapeElement.GetRawText()} of {dtypeElement.GetString()} needs {byteLength} bytes", name);

        return new SafetensorsTensorInfo(name, dtype, shape, elementCount, dataStart + begin, byteLength);
    }

    /// <summary>
    /// Sorts by data position and requires the tensors to tile the data buffer exactly, as the format
    /// does: no overlaps (two tensors sharing bytes) and no holes (bytes that belong to no tensor).
    /// </summary>
    private static void CheckLayout(string path, SafetensorsTensorInfo[] tensors, long dataStart, long dataLength)
    {
        // Zero-size tensors sort before a tensor starting at the same place, so they never look like overlaps.
        Array.Sort(tensors, static (a, b) =>
        {
            int byBegin = a.ByteOffset.CompareTo(b.ByteOffset);
            return byBegin != 0 ? byBegin : a.ByteLength.CompareTo(b.ByteLength);
        });
        long expected = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (SafetensorsTensorInfo tensor in tensors)
        {
            long begin = tensor.ByteOffset - dataStart;
            if (begin < expected)
                throw Invalid(path, $"tensor '{tensor.Name}' (data_offsets [{begin}, {begin + tensor.ByteLength}]) overlaps tensor '{previous!.Name}' (data_offsets [{previous.ByteOffset - dataStart}, {expected}])", tensor.Name);
            if (begin > expected)
                throw Invalid(path, $"data bytes [{expected}, {begin}) before tensor '{tensor.Name}' belong to no tensor; the format allows no holes", tensor.Name);
            expected = begin + tensor.ByteLength;
            previous = tensor;
        }
        if (expected != dataLength)
            throw Invalid(path, $"the last {dataLength - expected} bytes of the data buffer belong to no tensor (tensors end at {expected}, the buffer holds {dataLength} bytes)");
    }

    private static bool TryGetOffset(JsonElement element, out long offset)
    {
        offset = -1;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out offset) && offset >= 0;
    }

    /// <summary>a × b for non-negative operands, or -1 when the product overflows (or a is already -1).</summary>
    private static long MultiplyOrMinusOne(long a, long b)
    {
        if (a < 0) return -1;
        Int128 product = (Int128)a * b;
        return product > long.MaxValue ? -1 : (long)product;
    }
}

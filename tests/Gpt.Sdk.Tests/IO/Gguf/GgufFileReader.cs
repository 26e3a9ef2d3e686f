using System.Buffers.Binary;
using System.Text;

namespace Gpt.Sdk.Tests.IO.Gguf;

/// <summary>One tensor's entry in a GGUF file: ggml dimensions (innermost first), ggml type id, offset in the data section.</summary>
internal sealed record GgufTensorEntry(string Name, ulong[] Dims, uint Type, ulong Offset)
{
    public long Count => Dims.Aggregate(1L, (product, d) => product * (long)d);
}

/// <summary>
/// A GGUF v3 reader written from the format's specification (ggml's docs/gguf.md), independent of the SDK's writer: it
/// shares no code or constants with it, and checks what llama.cpp's loader checks (magic, version, alignment, every tensor's
/// bytes inside the file) so that a test passes only for a file llama.cpp would open.
/// </summary>
internal sealed class GgufFileReader
{
    private const int F32 = 0, F16 = 1, Q8_0 = 8;
    private readonly byte[] _file;
    private int _position;

    public GgufFileReader(byte[] file)
    {
        _file = file;
        if (file.Length < 24 || Encoding.ASCII.GetString(file, 0, 4) != "GGUF") throw new FormatException("not a GGUF file: the magic is not \"GGUF\".");
        _position = 4;
        Version = U32();
        if (Version != 3) throw new FormatException($"version {Version}, expected 3.");
        ulong tensorCount = U64(), metadataCount = U64();
        for (ulong i = 0; i < metadataCount; i++)
        {
            string key = String();
            if (Metadata.ContainsKey(key)) throw new FormatException($"metadata key '{key}' appears twice.");
            Metadata[key] = Value(U32());
        }

        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = String();
            uint dimCount = U32();
            if (dimCount is 0 or > 4) throw new FormatException($"tensor '{name}' has {dimCount} dimensions.");
            var dims = new ulong[dimCount];
            for (int d = 0; d < dims.Length; d++) dims[d] = U64();
            Tensors.Add(new GgufTensorEntry(name, dims, U32(), U64()));
        }

        Alignment = Metadata.TryGetValue("general.alignment", out var alignment) ? (uint)alignment : 32u;
        HeaderEnd = _position;
        DataStart = (_position + (int)Alignment - 1) / (int)Alignment * (int)Alignment;
        for (int i = HeaderEnd; i < DataStart; i++)
            if (file[i] != 0) throw new FormatException("the padding before the data section is not zeros.");
        foreach (var tensor in Tensors)
        {
            if (tensor.Offset % Alignment != 0) throw new FormatException($"tensor '{tensor.Name}' is at offset {tensor.Offset}, not a multiple of {Alignment}.");
            if ((ulong)DataStart + tensor.Offset + (ulong)ByteCount(tensor) > (ulong)file.Length)
                throw new FormatException($"tensor '{tensor.Name}' runs past the end of the file.");
        }
    }

    public uint Version { get; }

    public Dictionary<string, object> Metadata { get; } = new(StringComparer.Ordinal);

    public List<GgufTensorEntry> Tensors { get; } = [];

    public uint Alignment { get; }

    /// <summary>Where the tensor infos end; the data section starts at the next multiple of <see cref="Alignment"/>.</summary>
    public int HeaderEnd { get; }

    public int DataStart { get; }

    public GgufTensorEntry Tensor(string name) => Tensors.Single(t => t.Name == name);

    public static long ByteCount(GgufTensorEntry tensor) => tensor.Type switch
    {
        F32 => tensor.Count * 4,
        F16 => tensor.Count * 2,
        Q8_0 => tensor.Count / 32 * 34,
        _ => throw new FormatException($"tensor '{tensor.Name}' has ggml type {tensor.Type}, which this reader does not know."),
    };

    public ReadOnlySpan<byte> Bytes(GgufTensorEntry tensor) => _file.AsSpan(DataStart + (int)tensor.Offset, (int)ByteCount(tensor));

    /// <summary>An F32 or F16 tensor's values as floats, in file order.</summary>
    public float[] Floats(GgufTensorEntry tensor)
    {
        var bytes = Bytes(tensor);
        var values = new float[tensor.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = tensor.Type switch
            {
                F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]),
                _ => throw new FormatException($"tensor '{tensor.Name}' is not a float tensor."),
            };
        }

        return values;
    }

    /// <summary>A Q8_0 tensor's blocks: each block's fp16 scale and its 32 signed values.</summary>
    public (Half[] Scales, sbyte[] Values) Q8Blocks(GgufTensorEntry tensor)
    {
        if (tensor.Type != Q8_0) throw new FormatException($"tensor '{tensor.Name}' is not Q8_0.");
        var bytes = Bytes(tensor);
        int blocks = (int)(tensor.Count / 32);
        var scales = new Half[blocks];
        var values = new sbyte[tensor.Count];
        for (int b = 0; b < blocks; b++)
        {
            scales[b] = BinaryPrimitives.ReadHalfLittleEndian(bytes[(34 * b)..]);
            for (int i = 0; i < 32; i++) values[32 * b + i] = (sbyte)bytes[34 * b + 2 + i];
        }

        return (scales, values);
    }

    private object Value(uint type) => type switch
    {
        0 => _file[_position++],
        1 => (sbyte)_file[_position++],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2)),
        3 => BinaryPrimitives.ReadInt16LittleEndian(Take(2)),
        4 => U32(),
        5 => BinaryPrimitives.ReadInt32LittleEndian(Take(4)),
        6 => BinaryPrimitives.ReadSingleLittleEndian(Take(4)),
        7 => _file[_position++] switch
        {
            0 => false,
            1 => true,
            var b => throw new FormatException($"a bool holds {b}."),
        },
        8 => String(),
        9 => Array(),
        10 => U64(),
        11 => BinaryPrimitives.ReadInt64LittleEndian(Take(8)),
        12 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8)),
        _ => throw new FormatException($"unknown metadata type {type}."),
    };

    private object[] Array()
    {
        uint elementType = U32();
        ulong count = U64();
        if (count > (ulong)_file.Length) throw new FormatException($"an array claims {count} elements.");
        var values = new object[count];
        for (ulong i = 0; i < count; i++) values[i] = Value(elementType);
        return values;
    }

    private string String()
    {
        ulong length = U64();
        if (length > (ulong)(_file.Length - _position)) throw new FormatException($"a string claims {length} bytes.");
        return Encoding.UTF8.GetString(Take((int)length));
    }

    private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    private ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_position + count > _file.Length) throw new FormatException("the header runs past the end of the file.");
        var span = _file.AsSpan(_position, count);
        _position += count;
        return span;
    }
}

using System.Runtime.InteropServices;
using System.Text;
using Gpt.Kernels.Quantization;

namespace Gpt.Sdk.IO.Gguf;

/// <summary>
/// Writes a GGUF v3 file (ggml's model format, read by llama.cpp, LLamaSharp and Ollama): the header, typed metadata
/// key/values, tensor infos, then each tensor's data at a 32-byte aligned offset. Metadata and tensors are declared
/// first; <see cref="WriteAsync"/> then streams the file, asking each tensor for its values only when it is written, so
/// a model is never held twice in memory. Little-endian throughout, as llama.cpp expects.
/// </summary>
internal sealed class GgufWriter
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The format version written.</summary>
    public const uint Version = 3;

    /// <summary>Alignment of the data section and of every tensor in it (<c>general.alignment</c>'s default, so not written).</summary>
    public const int Alignment = 32;

    /// <summary>Bytes of one Q8_0 block: an fp16 scale, then <see cref="Q8Blocks.BlockSize"/> signed bytes.</summary>
    public const int Q8BlockBytes = sizeof(ushort) + Q8Blocks.BlockSize;

    private readonly List<(string Key, Action<BinaryWriter> Write)> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<Tensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    private sealed record Tensor(string Name, GgufType Type, long[] Shape, long Count, Action<Span<float>> Fill)
    {
        public long Offset { get; set; }
    }

    /// <summary>Number of tensors declared.</summary>
    public int TensorCount => _tensors.Count;

    public void Add(string key, string value) => AddValue(key, GgufValueType.String, w => WriteString(w, value));

    public void Add(string key, uint value) => AddValue(key, GgufValueType.UInt32, w => w.Write(value));

    public void Add(string key, float value) => AddValue(key, GgufValueType.Float32, w => w.Write(value));

    public void Add(string key, bool value) => AddValue(key, GgufValueType.Bool, w => w.Write(value));

    public void Add(string key, IReadOnlyList<string> values) => AddArray(key, GgufValueType.String, values.Count, w =>
    {
        foreach (string value in values) WriteString(w, value);
    });

    public void Add(string key, IReadOnlyList<int> values) => AddArray(key, GgufValueType.Int32, values.Count, w =>
    {
        foreach (int value in values) w.Write(value);
    });

    /// <summary>Declares a tensor.</summary>
    /// <param name="name">The tensor's name, unique in the file.</param>
    /// <param name="type">How its values are stored.</param>
    /// <param name="shape">Its dimensions row-major, outermost first (a (rows, cols) matrix is (rows, cols)); the file holds
    /// them reversed, innermost first, as ggml's <c>ne</c>.</param>
    /// <param name="fill">Writes the values, row-major, into the span it is given (as long as the tensor); called once,
    /// while the tensor is written.</param>
    /// <exception cref="ArgumentException">The name is taken, the shape is empty, or Q8_0 rows are not whole blocks.</exception>
    public void AddTensor(string name, GgufType type, IReadOnlyList<long> shape, Action<Span<float>> fill)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fill);
        if (shape.Count == 0 || shape.Any(d => d < 1))
            throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}]; every dimension must be positive.", nameof(shape));
        if (!Enum.IsDefined(type)) throw UnsupportedType(type);
        if (type == GgufType.Q8_0 && shape[^1] % Q8Blocks.BlockSize != 0)
            throw new ArgumentException($"tensor '{name}' has rows of {shape[^1]} values, which Q8_0 cannot store: its blocks hold {Q8Blocks.BlockSize}. " +
                "Store it as F16 or F32.", nameof(type));
        if (!_tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' is declared twice.", nameof(name));
        long count = shape.Aggregate(1L, (product, d) => checked(product * d));
        if (count > Array.MaxLength)
            throw new ArgumentException($"tensor '{name}' has {count} values; one tensor is written from one buffer of at most {Array.MaxLength}.", nameof(shape));
        _tensors.Add(new Tensor(name, type, [.. shape], count, fill));
    }

    /// <summary>Bytes a tensor of <paramref name="count"/> values takes in <paramref name="type"/>.</summary>
    public static long DataBytes(GgufType type, long count) => type switch
    {
        GgufType.F32 => count * sizeof(float),
        GgufType.F16 => count * sizeof(ushort),
        GgufType.Q8_0 => count / Q8Blocks.BlockSize * Q8BlockBytes,
        _ => throw UnsupportedType(type),
    };

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the file goes, from its first byte.</param>
    /// <param name="written">Told the index of each tensor once its data is written.</param>
    /// <param name="cancellationToken">Checked between tensors.</param>
    public async Task WriteAsync(Stream stream, Action<int>? written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long offset = 0;
        foreach (var tensor in _tensors)
        {
            tensor.Offset = offset;
            offset = Align(offset + DataBytes(tensor.Type, tensor.Count));
        }

        byte[] header = Header();
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await Pad(stream, header.Length, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < _tensors.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = _tensors[i];
            // Fresh buffers, not pooled ones: the largest tensor (GPT-2's embedding) is 150 MB, which a pool would keep alive.
            byte[] data = GC.AllocateUninitializedArray<byte>(checked((int)DataBytes(tensor.Type, tensor.Count)));
            Encode(tensor, data);
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await Pad(stream, data.Length, cancellationToken).ConfigureAwait(false);
            written?.Invoke(i);
        }
    }

    private byte[] Header()
    {
        using var memory = new MemoryStream();
        using (var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, write) in _metadata)
            {
                WriteString(w, key);
                write(w);
            }

            foreach (var tensor in _tensors)
            {
                WriteString(w, tensor.Name);
                w.Write((uint)tensor.Shape.Length);
                for (int d = tensor.Shape.Length - 1; d >= 0; d--) w.Write((ulong)tensor.Shape[d]);   // ggml's ne: innermost first
                w.Write((uint)tensor.Type);
                w.Write((ulong)tensor.Offset);
            }
        }

        return memory.ToArray();
    }

    private static void Encode(Tensor tensor, Span<byte> destination)
    {
        float[] source = GC.AllocateUninitializedArray<float>((int)tensor.Count);
        tensor.Fill(source);
        switch (tensor.Type)
        {
            case GgufType.F32:
                MemoryMarshal.AsBytes(source.AsSpan()).CopyTo(destination);
                break;
            case GgufType.F16:
                FloatFormats.SingleToHalf(source, MemoryMarshal.Cast<byte, Half>(destination));
                break;
            case GgufType.Q8_0:
                EncodeQ8(tensor.Name, source, destination);
                break;
        }
    }

    // Q8Blocks gives the values and the scales apart; a Q8_0 block holds its scale first, then its 32 values.
    private static void EncodeQ8(string name, ReadOnlySpan<float> source, Span<byte> destination)
    {
        int blocks = Q8Blocks.BlockCount(source.Length);
        var values = new sbyte[source.Length];
        var scales = new Half[blocks];
        try
        {
            Q8Blocks.Quantize(source, values, scales);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"tensor '{name}' cannot be quantized: {e.Message}", e);
        }

        for (int b = 0; b < blocks; b++)
        {
            var block = destination.Slice(b * Q8BlockBytes, Q8BlockBytes);
            BitConverter.TryWriteBytes(block, scales[b]);
            MemoryMarshal.AsBytes(values.AsSpan(b * Q8Blocks.BlockSize, Q8Blocks.BlockSize)).CopyTo(block[sizeof(ushort)..]);
        }
    }

    private void AddValue(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key '{key}' is given twice.", nameof(key));
        _metadata.Add((key, w =>
        {
            w.Write((uint)type);
            write(w);
        }));
    }

    private void AddArray(string key, GgufValueType elementType, int count, Action<BinaryWriter> write) => AddValue(key, GgufValueType.Array, w =>
    {
        w.Write((uint)elementType);
        w.Write((ulong)count);
        write(w);
    });

    // gguf_string: a uint64 byte count, then UTF-8 without a terminator.
    private static void WriteString(BinaryWriter w, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static long Align(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static ValueTask Pad(Stream stream, long written, CancellationToken cancellationToken)
    {
        int padding = (int)(Align(written) - written);
        return padding == 0 ? ValueTask.CompletedTask : stream.WriteAsync(new byte[padding], cancellationToken);
    }

    private static ArgumentException UnsupportedType(GgufType type) =>
        new($"GGUF type {type} is not one this exporter writes; choose {GgufType.F32}, {GgufType.F16} or {GgufType.Q8_0}.", nameof(type));
}

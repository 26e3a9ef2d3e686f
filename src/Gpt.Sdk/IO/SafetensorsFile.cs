using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Gpt.Sdk.IO;

/// <summary>
/// A safetensors file opened for reading: the header is parsed and fully checked at
/// <see cref="Open"/>, the data stays in a read-only memory map and is converted to fp32 on demand.
/// Reads may run concurrently from several threads; dispose once all reads are done.
/// </summary>
/// <remarks>
/// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>,
/// offsets relative to the first byte after the header), then the data. As the format requires, the
/// tensors must tile the data exactly: a file with overlapping tensors, gaps between them or trailing
/// bytes is refused, like Hugging Face's reader does.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit): a bigger one is a corrupt length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private byte* _base;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, SafetensorsHeader.Contents contents)
    {
        Path = path;
        _map = map;
        _view = view;
        Tensors = Array.AsReadOnly(contents.Tensors);
        Metadata = contents.Metadata.AsReadOnly();
        _byName = new Dictionary<string, SafetensorsTensorInfo>(contents.Tensors.Length, StringComparer.Ordinal);
        foreach (SafetensorsTensorInfo tensor in contents.Tensors)
            _byName.Add(tensor.Name, tensor);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in the order their data lies in the file.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Opens and checks <paramref name="path"/>.</summary>
    /// <param name="path">A <c>.safetensors</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFileException">The file breaks the format; the message says where and how.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors files are little-endian; reading them on a big-endian machine is not supported.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist; check the path.", path);

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long fileLength = stream.Length;
            if (fileLength < 8)
                throw SafetensorsHeader.Invalid(path, $"it is {fileLength} bytes long, shorter than the 8-byte header length");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderBytes)
                throw SafetensorsHeader.Invalid(path, $"the header length is {headerLength} bytes, more than the {MaxHeaderBytes} allowed (the file is {fileLength} bytes)");
            if ((long)headerLength > fileLength - 8)
                throw SafetensorsHeader.Invalid(path, $"the header length is {headerLength} bytes but only {fileLength - 8} bytes follow it");

            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + (long)headerLength;
            SafetensorsHeader.Contents contents = SafetensorsHeader.Parse(path, header, dataStart, fileLength - dataStart);

            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SafetensorsFile(path, map, view, contents);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's key in the header.</param>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor without throwing.</summary>
    /// <param name="name">The tensor's key in the header.</param>
    /// <param name="tensor">The entry, when found.</param>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafetensorsTensorInfo tensor) =>
        _byName.TryGetValue(name, out tensor);

    /// <summary>The entry for tensor <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's key in the header.</param>
    /// <exception cref="KeyNotFoundException">No such tensor; the message lists similar names.</exception>
    public SafetensorsTensorInfo this[string name] =>
        _byName.TryGetValue(name, out SafetensorsTensorInfo? tensor) ? tensor : throw Missing(name);

    /// <summary>
    /// Reads tensor <paramref name="name"/> into <paramref name="destination"/> as fp32, converting from
    /// F32 (a bulk copy), F16, BF16 (exact) or F64 (rounded).
    /// </summary>
    /// <param name="name">The tensor's key in the header.</param>
    /// <param name="destination">Exactly <see cref="SafetensorsTensorInfo.ElementCount"/> floats, row-major.</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    /// <exception cref="ModelFileException">The tensor is stored as an integer, bool or fp8 type.</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        SafetensorsTensorInfo tensor = this[name];
        CheckLength(tensor, destination.Length, tensor.ElementCount, "floats");
        byte* source = DataPointer(tensor);
        int count = destination.Length;
        switch (tensor.DType)
        {
            case SafetensorsDType.F32:
                new ReadOnlySpan<float>(source, count).CopyTo(destination);
                break;
            case SafetensorsDType.F16:
                FloatFormats.HalfToSingle(new ReadOnlySpan<Half>(source, count), destination);
                break;
            case SafetensorsDType.BF16:
                FloatFormats.BFloat16ToSingle(new ReadOnlySpan<ushort>(source, count), destination);
                break;
            case SafetensorsDType.F64:
                FloatFormats.DoubleToSingle(new ReadOnlySpan<double>(source, count), destination);
                break;
            default:
                throw new ModelFileException(Path,
                    $"Tensor '{name}' in '{Path}' is stored as {SafetensorsDTypes.HeaderName(tensor.DType)}, an unsupported dtype for a float tensor " +
                    "(F32, F16, BF16 and F64 can be read as fp32); read its raw bytes with ReadBytes instead.", name);
        }
    }

    /// <summary>Copies tensor <paramref name="name"/>'s stored bytes (little-endian, row-major) unconverted.</summary>
    /// <param name="name">The tensor's key in the header.</param>
    /// <param name="destination">Exactly <see cref="SafetensorsTensorInfo.ByteLength"/> bytes.</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    public void ReadBytes(string name, Span<byte> destination)
    {
        SafetensorsTensorInfo tensor = this[name];
        CheckLength(tensor, destination.Length, tensor.ByteLength, "bytes");
        new ReadOnlySpan<byte>(DataPointer(tensor), destination.Length).CopyTo(destination);
    }

    /// <summary>Unmaps the file. Reads after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private byte* DataPointer(SafetensorsTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + tensor.ByteOffset;
    }

    private void CheckLength(SafetensorsTensorInfo tensor, int length, long expected, string unit)
    {
        if (length != expected)
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' in '{Path}' has shape {tensor.ShapeText} ({expected} {unit}) but the destination holds {length}; " +
                "size the destination from the tensor's shape.", "destination");
    }

    private KeyNotFoundException Missing(string name)
    {
        // Names that differ only by a prefix (e.g. 'transformer.h.0...' vs 'h.0...') are the likely
        // intended ones, so they are listed first.
        var similar = new List<string>();
        foreach (SafetensorsTensorInfo tensor in Tensors)
            if (tensor.Name.EndsWith(name, StringComparison.Ordinal) || name.EndsWith(tensor.Name, StringComparison.Ordinal))
                similar.Add(tensor.Name);
        foreach (SafetensorsTensorInfo tensor in Tensors)
            if (similar.Count < 5 && !similar.Contains(tensor.Name))
                similar.Add(tensor.Name);
        string available = Tensors.Count == 0
            ? "it holds no tensors"
            : $"it holds {Tensors.Count} tensors, e.g. {string.Join(", ", similar.Take(5).Select(n => $"'{n}'"))}";
        return new KeyNotFoundException($"Tensor '{name}' is not in '{Path}' ({available}); check the name, or that this is the right file.");
    }
}

using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Gpt.Sdk.Training;

/// <summary>Tokens read straight from a memory-mapped binary file, so corpora larger than memory train.</summary>
internal sealed unsafe class MemoryMappedTokenDataset : TokenDataset
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;
    private readonly TokenFileFormat _format;

    public MemoryMappedTokenDataset(string path, TokenFileFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"token file '{path}' does not exist.", path);
        long bytes = new FileInfo(path).Length;
        int width = format == TokenFileFormat.UInt16 ? 2 : 4;
        if (bytes == 0) throw new InvalidDataException($"token file '{path}' is empty; a dataset needs tokens.");
        if (bytes % width != 0)
            throw new InvalidDataException($"token file '{path}' has {bytes} bytes, not a multiple of {width}: is it really {format}?");
        _format = format;
        Length = bytes / width;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _data = pointer + _view.PointerOffset;
    }

    public override long Length { get; }

    public override void Read(long start, Span<int> destination)
    {
        CheckRange(start, destination.Length);
        if (_format == TokenFileFormat.UInt16)
        {
            var source = new ReadOnlySpan<byte>(_data + start * 2, destination.Length * 2);
            for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
        }
        else
        {
            var source = new ReadOnlySpan<byte>(_data + start * 4, destination.Length * 4);
            for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}

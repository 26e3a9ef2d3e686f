using System.Buffers.Binary;
using System.Text;

namespace Gpt.Sdk.Tests.IO;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("gpt-sdk-io-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Builds safetensors bytes by hand, so tests control every byte of a (bad) file.</summary>
internal static class SafetensorsBytes
{
    /// <summary>8-byte length, the header exactly as given (no padding), then <paramref name="dataLength"/> data bytes.</summary>
    public static byte[] Build(string header, int dataLength) => Build(Encoding.UTF8.GetBytes(header), new byte[dataLength]);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Header length stored in the first 8 bytes.</summary>
    public static int HeaderLength(byte[] file) => (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
}

using System.Buffers.Binary;
using System.Text;
using Gpt.Sdk.IO;

namespace Gpt.Sdk.Tests.IO;

/// <summary>Every kind of broken file is refused at Open with a message that names the file and the fault.</summary>
public class SafetensorsInvalidFileTests : IDisposable
{
    private const string TwoTensors =
        """{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]}}""";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ModelFileException Refused(byte[] bytes, params string[] fragments)
    {
        string path = _folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<ModelFileException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.FilePath);
        foreach (string fragment in fragments)
            Assert.Contains(fragment, error.Message);
        return error;
    }

    private static byte[] WithHeader(string header, int dataLength) => SafetensorsBytes.Build(header, dataLength);

    [Fact]
    public void GoodFileUsedByTheseTestsOpens()
    {
        string path = _folder.File("good.safetensors");
        File.WriteAllBytes(path, WithHeader(TwoTensors, 28));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(2, file.Tensors.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void FileShorterThanTheLengthPrefixIsRefused(int length) =>
        Refused(WithHeader(TwoTensors, 28)[..length], $"{length} bytes long", "shorter than the 8-byte header length");

    [Fact]
    public void FileCutInsideTheHeaderIsRefused()
    {
        byte[] good = WithHeader(TwoTensors, 28);
        int headerLength = SafetensorsBytes.HeaderLength(good);
        foreach (int cut in new[] { 8, 9, 8 + headerLength / 2, 8 + headerLength - 1 })
            Refused(good[..cut], $"header length is {headerLength} bytes but only {cut - 8} bytes follow");
    }

    [Fact]
    public void FileCutInsideTheDataIsRefusedNamingTheTensor()
    {
        byte[] good = WithHeader(TwoTensors, 28);
        int dataStart = 8 + SafetensorsBytes.HeaderLength(good);
        Assert.Equal("b", Refused(good[..(dataStart + 20)], "tensor 'b'", "[16, 28]", "holds only 20 bytes").EntryName);
        Refused(good[..dataStart], "holds only 0 bytes");
        Refused(good[..^1], "tensor 'b'", "holds only 27 bytes");
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFileIsRefused()
    {
        byte[] bytes = WithHeader(TwoTensors, 28);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 5000);
        Refused(bytes, "header length is 5000 bytes", $"only {bytes.Length - 8} bytes follow");
    }

    [Fact]
    public void AbsurdHeaderLengthIsRefusedWithoutAllocating()
    {
        byte[] bytes = WithHeader(TwoTensors, 28);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Refused(bytes, $"header length is {ulong.MaxValue} bytes", "more than the 100000000 allowed");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        Refused(bytes, "more than the 100000000 allowed");
    }

    [Theory]
    [InlineData("{not json}", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",", "not valid JSON")]
    [InlineData("{}garbage", "not valid JSON")]
    [InlineData("[1, 2]", "does not start with '{'")]
    [InlineData("  {}", "does not start with '{'")]
    [InlineData("", "does not start with '{'")]
    public void HeaderThatIsNotAJsonObjectIsRefused(string header, string fragment) =>
        Refused(WithHeader(header, 0), fragment);

    [Fact]
    public void HeaderThatIsNotUtf8IsRefused()
    {
        byte[] header = Encoding.UTF8.GetBytes("""{"__metadata__":{"k":"v?"}}""");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;
        Refused(SafetensorsBytes.Build(header, []), "not valid UTF-8");
    }

    [Theory]
    [InlineData("""{"a":5}""", "tensor 'a' is a JSON Number")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has no 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'a' has no 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", "tensor 'a' has no 'data_offsets'")]
    [InlineData("""{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}""", "unknown dtype \"F128\"")]
    [InlineData("""{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}""", "unknown dtype \"f32\"")]
    [InlineData("""{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}""", "unknown dtype 32")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "dimension 0 (-1) is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1,0.5],"data_offsets":[0,4]}}""", "dimension 1 (0.5) is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", "dimension 0 (\"1\")")]
    [InlineData("""{"a":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}""", "must be an array of non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", "must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}""", "must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", "too many elements")]
    [InlineData("""{"__metadata__":{"k":1}}""", "metadata 'k' is a JSON Number")]
    [InlineData("""{"__metadata__":[]}""", "'__metadata__' is a JSON Array")]
    public void MalformedEntryIsRefusedNamingIt(string header, string fragment) =>
        Refused(WithHeader(header, 4), fragment);

    [Fact]
    public void UnknownDTypeMessageListsKnownOnes() =>
        Refused(WithHeader("""{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}""", 4), "tensor 'a'", "F32", "BF16");

    [Fact]
    public void ShapeThatDisagreesWithByteCountIsRefused() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}""", 16),
            "tensor 'a'", "(16 bytes)", "shape [3] of F32 needs 12 bytes");

    [Fact]
    public void OverlappingTensorsAreRefused() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24),
            "tensor 'b'", "overlaps tensor 'a'");

    [Fact]
    public void ZeroSizeTensorInsideAnotherIsAnOverlap() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"z":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}""", 16),
            "tensor 'z'", "overlaps tensor 'a'");

    [Fact]
    public void ZeroSizeTensorsAtTheSamePlaceAsAnotherAreFine()
    {
        string path = _folder.File("zero.safetensors");
        File.WriteAllBytes(path, WithHeader(
            """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"z":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"y":{"dtype":"F16","shape":[0],"data_offsets":[16,16]}}""", 16));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(0, file["z"].ElementCount);
        file.ReadFloat32("y", Span<float>.Empty);
    }

    [Fact]
    public void HoleBetweenTensorsIsRefused() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}}""", 24),
            "data bytes [16, 20) before tensor 'b' belong to no tensor");

    [Fact]
    public void TrailingBytesAfterTheLastTensorAreRefused() =>
        Refused(WithHeader(TwoTensors, 32), "the last 4 bytes of the data buffer belong to no tensor");

    [Fact]
    public void OffsetsPastTheEndAreRefused() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}""", 16),
            "tensor 'a'", "[16, 32]", "holds only 16 bytes");

    [Fact]
    public void BeginAfterEndIsRefused() =>
        Refused(WithHeader("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}""", 16),
            "tensor 'a'", "begin is after end");

    [Fact]
    public void DuplicateTensorNameIsRefused() =>
        Assert.Equal("a", Refused(WithHeader(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            "tensor 'a' appears twice").EntryName);

    [Fact]
    public void DuplicateMetadataIsRefused()
    {
        Refused(WithHeader("""{"__metadata__":{},"__metadata__":{}}""", 0), "'__metadata__' appears twice");
        Refused(WithHeader("""{"__metadata__":{"k":"1","k":"2"}}""", 0), "metadata key 'k' appears twice");
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        string path = _folder.File("absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void MissingTensorNamesFileAndTensorAndSuggestsSimilarNames()
    {
        string path = _folder.File("prefixed.safetensors");
        SafetensorsWriter.Write(path,
        [
            new("transformer.wte.weight", [2], new[] { 1f, 2f }),
            new("transformer.h.0.attn.c_attn.weight", [1], new[] { 3f }),
        ]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var error = Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("h.0.attn.c_attn.weight", new float[1]));
        Assert.Contains("'h.0.attn.c_attn.weight'", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Contains("2 tensors", error.Message);
        int similar = error.Message.IndexOf("'transformer.h.0.attn.c_attn.weight'", StringComparison.Ordinal);
        int other = error.Message.IndexOf("'transformer.wte.weight'", StringComparison.Ordinal);
        Assert.True(similar >= 0 && other > similar, error.Message);
        Assert.Throws<KeyNotFoundException>(() => file["nope"]);
    }

    [Fact]
    public void WrongDestinationLengthIsRefused()
    {
        string path = _folder.File("w.safetensors");
        SafetensorsWriter.Write(path, [new("w", [2, 3], new float[6])]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var error = Assert.Throws<ArgumentException>(() => file.ReadFloat32("w", new float[5]));
        Assert.Equal("destination", error.ParamName);
        Assert.Contains("shape [2, 3] (6 floats)", error.Message);
        Assert.Contains("holds 5", error.Message);
        Assert.Throws<ArgumentException>(() => file.ReadBytes("w", new byte[6]));
    }

    [Fact]
    public void ReadAfterDisposeIsRefused()
    {
        string path = _folder.File("w.safetensors");
        SafetensorsWriter.Write(path, [new("w", [1], new[] { 1f })]);
        SafetensorsFile file = SafetensorsFile.Open(path);
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w", new float[1]));
    }
}

using Gpt.Sdk.IO;

namespace Gpt.Sdk.Tests.IO;

public class SafetensorsWriterArgumentTests
{
    private static ArgumentException Refused(SafetensorsTensor[] tensors, string fragment, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var folder = new TempFolder();
        string path = folder.File("x.safetensors");
        File.WriteAllText(path, "previous");
        var error = Assert.ThrowsAny<ArgumentException>(() => SafetensorsWriter.Write(path, tensors, metadata));
        Assert.Contains(fragment, error.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(folder.Path));
        return error;
    }

    [Fact]
    public void DuplicateNamesAreRefused() =>
        Refused([new("w", [1], new[] { 1f }), new("w", [1], new[] { 2f })], "'w' appears twice");

    [Fact]
    public void ShapeDataMismatchIsRefused() =>
        Refused([new("w", [2, 3], new float[5])], "shape [2, 3] (6 elements) but 5 values");

    [Fact]
    public void ZeroDimensionAfterHugeOnesStillMeansNoElements() =>
        Refused([new("w", [int.MaxValue, int.MaxValue, 0], new float[1])], "(0 elements) but 1 values");

    [Fact]
    public void NegativeDimensionIsRefused() =>
        Refused([new("w", [-1], new float[1])], "negative dimension");

    [Fact]
    public void EmptyAndReservedNamesAreRefused()
    {
        Refused([new("", [1], new float[1])], "has no name");
        Refused([new("__metadata__", [1], new float[1])], "reserved");
    }

    [Fact]
    public void NullShapeIsRefused() =>
        Refused([new("w", null!, new float[1])], "has no shape");

    [Fact]
    public void UnsupportedStorageTypeIsRefused()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SafetensorsWriter.Write(folder.File("x.safetensors"), [new("w", [1], new float[1])], dtype: SafetensorsDType.I64));
    }
}

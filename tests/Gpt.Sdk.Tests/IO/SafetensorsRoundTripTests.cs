using System.Buffers.Binary;
using System.Text;
using Gpt.Sdk.IO;

namespace Gpt.Sdk.Tests.IO;

public class SafetensorsRoundTripTests
{
    private static float[] RandomValues(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    [Fact]
    public void WrittenTensorsReadBackBitIdenticalWithShapesOrderAndMetadata()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        var random = new Random(1234);
        float[] special =
        [
            -0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue,
            BitConverter.Int32BitsToSingle(0x7FC01234), // NaN with a payload must survive untouched
        ];
        SafetensorsTensor[] tensors =
        [
            new("wte.weight", [7, 5], RandomValues(random, 35)),
            new("scalar", [], new[] { 3.25f }),
            new("empty", [0, 4], Array.Empty<float>()),
            new("h.0.ln_1.bias", [6], special),
            new("h.0.attn.c_attn.weight", [2, 3, 4], RandomValues(random, 24)),
        ];
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["step"] = "12", ["note"] = "é ✓ \"quoted\"" };

        SafetensorsWriter.Write(path, tensors, metadata);

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        foreach (SafetensorsTensor expected in tensors)
        {
            SafetensorsTensorInfo info = file[expected.Name];
            Assert.True(info.HasShape(expected.Shape), $"{info} should have shape [{string.Join(", ", expected.Shape)}]");
            Assert.Equal(SafetensorsDType.F32, info.DType);
            Assert.Equal(expected.Data.Length, info.ElementCount);
            Assert.Equal(4L * expected.Data.Length, info.ByteLength);
            var actual = new float[info.ElementCount];
            file.ReadFloat32(expected.Name, actual);
            Assert.Equal(Bits(expected.Data.Span), Bits(actual));
        }
        Assert.Equal(1, file["scalar"].ElementCount);
        Assert.Empty(file["scalar"].Shape);
    }

    [Fact]
    public void HeaderIsSpacePaddedToEightBytesSoDataIsAligned()
    {
        using var folder = new TempFolder();
        string path = folder.File("a.safetensors");
        for (int nameLength = 1; nameLength <= 8; nameLength++)
        {
            SafetensorsWriter.Write(path, [new(new string('x', nameLength), [1], new[] { 1f })]);
            byte[] bytes = File.ReadAllBytes(path);
            int headerLength = SafetensorsBytes.HeaderLength(bytes);
            Assert.Equal(0, headerLength % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, headerLength);
            Assert.StartsWith("{", header);
            Assert.EndsWith("}", header.TrimEnd(' '));
            Assert.Equal(8 + headerLength + 4, bytes.Length);
        }
    }

    [Fact]
    public void WritesNoMetadataKeyWithoutMetadataAndReadsEmptyMetadata()
    {
        using var folder = new TempFolder();
        string path = folder.File("a.safetensors");
        SafetensorsWriter.Write(path, [new("w", [2], new[] { 1f, 2f })]);
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Float16TensorReadsAsExactFloat32()
    {
        ushort[] bits = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555, 0x8000, 0x0400];
        float[] expected = [1f, -2f, 65504f, MathF.Pow(2, -24), float.PositiveInfinity, 0.333251953125f, -0f, MathF.Pow(2, -14)];
        using var folder = new TempFolder();
        string path = folder.File("half.safetensors");
        File.WriteAllBytes(path, Crafted("F16", bits));

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(SafetensorsDType.F16, file["x"].DType);
        var actual = new float[bits.Length];
        file.ReadFloat32("x", actual);
        Assert.Equal(Bits(expected), Bits(actual));
    }

    [Fact]
    public void BFloat16TensorReadsAsUpperHalfOfFloat32Bits()
    {
        // 37 values: a whole number of SIMD vectors plus a scalar tail, whatever the vector width.
        var random = new Random(1234);
        var bits = new ushort[37];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)random.Next(0, 65536);
        bits[0] = 0x3F80; // 1
        bits[1] = 0xC040; // -3
        bits[2] = 0x4049; // 3.140625
        using var folder = new TempFolder();
        string path = folder.File("bf16.safetensors");
        File.WriteAllBytes(path, Crafted("BF16", bits));

        using SafetensorsFile file = SafetensorsFile.Open(path);
        var actual = new float[bits.Length];
        file.ReadFloat32("x", actual);
        Assert.Equal(1f, actual[0]);
        Assert.Equal(-3f, actual[1]);
        Assert.Equal(3.140625f, actual[2]);
        for (int i = 0; i < bits.Length; i++)
            Assert.Equal(bits[i] << 16, BitConverter.SingleToInt32Bits(actual[i]));
    }

    [Fact]
    public void Float64TensorReadsRoundedToFloat32()
    {
        double[] values = [0.1, -1e300, 1.0 / 3];
        var data = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), values[i]);
        using var folder = new TempFolder();
        string path = folder.File("f64.safetensors");
        File.WriteAllBytes(path, SafetensorsBytes.Build(Encoding.UTF8.GetBytes(
            """{"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}"""), data));

        using SafetensorsFile file = SafetensorsFile.Open(path);
        var actual = new float[3];
        file.ReadFloat32("d", actual);
        Assert.Equal([0.1f, float.NegativeInfinity, 1f / 3], actual);
    }

    [Fact]
    public void IntegerTensorIsRefusedAsFloatButReadableAsBytes()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(data, 42);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), -7);
        using var folder = new TempFolder();
        string path = folder.File("i64.safetensors");
        File.WriteAllBytes(path, SafetensorsBytes.Build(Encoding.UTF8.GetBytes(
            """{"step":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"""), data));

        using SafetensorsFile file = SafetensorsFile.Open(path);
        var error = Assert.Throws<ModelFileException>(() => file.ReadFloat32("step", new float[2]));
        Assert.Contains("unsupported dtype for a float tensor", error.Message);
        Assert.Contains("I64", error.Message);
        Assert.Contains("'step'", error.Message);
        var bytes = new byte[16];
        file.ReadBytes("step", bytes);
        Assert.Equal(data, bytes);
    }

    [Fact]
    public void WriterStoresFloat16AndBFloat16RoundedToNearestEven()
    {
        float[] values =
        [
            1f,
            BitConverter.Int32BitsToSingle(0x3F808000), // halfway between bf16 0x3F80 and 0x3F81: ties to even 0x3F80
            BitConverter.Int32BitsToSingle(0x3F818000), // halfway between 0x3F81 and 0x3F82: ties to even 0x3F82
            BitConverter.Int32BitsToSingle(0x3F808001), // just above halfway: rounds up to 0x3F81
            -2.5f, 1e6f, float.NaN,
        ];
        using var folder = new TempFolder();
        string bf16 = folder.File("bf16.safetensors"), f16 = folder.File("f16.safetensors");
        SafetensorsWriter.Write(bf16, [new("x", [values.Length], values)], dtype: SafetensorsDType.BF16);
        SafetensorsWriter.Write(f16, [new("x", [values.Length], values)], dtype: SafetensorsDType.F16);

        using (SafetensorsFile file = SafetensorsFile.Open(bf16))
        {
            Assert.Equal(SafetensorsDType.BF16, file["x"].DType);
            Assert.Equal(2L * values.Length, file["x"].ByteLength);
            var actual = new float[values.Length];
            file.ReadFloat32("x", actual);
            Assert.Equal(0x3F80, BitConverter.SingleToInt32Bits(actual[1]) >>> 16);
            Assert.Equal(0x3F82, BitConverter.SingleToInt32Bits(actual[2]) >>> 16);
            Assert.Equal(0x3F81, BitConverter.SingleToInt32Bits(actual[3]) >>> 16);
            Assert.Equal([1f, 1f, -2.5f], new[] { actual[0], actual[1], actual[4] });
            Assert.Equal(999424f, actual[5]); // 1e6 = 0x49742400 → bf16 0x4974
            Assert.True(float.IsNaN(actual[6]));
        }
        using (SafetensorsFile file = SafetensorsFile.Open(f16))
        {
            Assert.Equal(SafetensorsDType.F16, file["x"].DType);
            var actual = new float[values.Length];
            file.ReadFloat32("x", actual);
            for (int i = 0; i < values.Length; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits((float)(Half)values[i]), BitConverter.SingleToInt32Bits(actual[i]));
        }
    }

    [Fact]
    public void ReadsHeaderPaddedWithTrailingSpacesFromOtherWriters()
    {
        using var folder = new TempFolder();
        string path = folder.File("padded.safetensors");
        var data = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(data, 2.5f);
        File.WriteAllBytes(path, SafetensorsBytes.Build(Encoding.UTF8.GetBytes(
            """{"__metadata__":{"a":"b"},"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}   """), data));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var value = new float[1];
        file.ReadFloat32("w", value);
        Assert.Equal(2.5f, value[0]);
        Assert.Equal("b", file.Metadata["a"]);
    }

    [Fact]
    public void ContainsTryGetAndTensorOrderFollowTheData()
    {
        using var folder = new TempFolder();
        string path = folder.File("order.safetensors");
        // Header lists b before a, but a's data comes first: Tensors follows the data.
        File.WriteAllBytes(path, SafetensorsBytes.Build(
            """{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(["a", "b"], file.Tensors.Select(t => t.Name));
        Assert.True(file.Contains("a"));
        Assert.False(file.Contains("c"));
        Assert.True(file.TryGet("b", out SafetensorsTensorInfo? b));
        Assert.Equal(8 + SafetensorsBytes.HeaderLength(File.ReadAllBytes(path)) + 8, b.ByteOffset);
        Assert.False(file.TryGet("c", out _));
    }

    private static byte[] Crafted(string dtype, ushort[] bits)
    {
        var data = new byte[2 * bits.Length];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), bits[i]);
        return SafetensorsBytes.Build(Encoding.UTF8.GetBytes(
            $$$"""{"x":{"dtype":"{{{dtype}}}","shape":[{{{bits.Length}}}],"data_offsets":[0,{{{data.Length}}}]}}"""), data);
    }
}

using System.Collections.ObjectModel;

namespace Gpt.Sdk.IO;

/// <summary>One tensor's entry in a safetensors header, already checked against the file.</summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long elementCount, long byteOffset, long byteLength)
    {
        Name = name;
        DType = dtype;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        ByteOffset = byteOffset;
        ByteLength = byteLength;
    }

    /// <summary>The tensor's key in the header, e.g. <c>h.0.attn.c_attn.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Element type of the stored data.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public ReadOnlyCollection<long> Shape { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar, 0 if any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>Position of the first data byte from the start of the FILE (the header's
    /// <c>data_offsets</c> begin plus 8 plus the header length).</summary>
    public long ByteOffset { get; }

    /// <summary>Number of data bytes: <see cref="ElementCount"/> times the element size.</summary>
    public long ByteLength { get; }

    /// <summary>Whether <see cref="Shape"/> is exactly <paramref name="shape"/>.</summary>
    /// <param name="shape">The expected dimensions, outermost first.</param>
    public bool HasShape(params ReadOnlySpan<int> shape)
    {
        if (shape.Length != Shape.Count) return false;
        for (int i = 0; i < shape.Length; i++)
            if (Shape[i] != shape[i]) return false;
        return true;
    }

    /// <summary>The shape written as <c>[768, 2304]</c>, for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>A line such as <c>h.0.attn.c_attn.weight F32 [768, 2304]</c>.</summary>
    public override string ToString() => $"{Name} {SafetensorsDTypes.HeaderName(DType)} {ShapeText}";
}

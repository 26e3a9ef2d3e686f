namespace Gpt.Sdk.IO;

/// <summary>A named fp32 tensor to be written by <see cref="SafetensorsWriter"/>.</summary>
/// <param name="Name">Key in the header, e.g. <c>h.0.attn.c_attn.weight</c>; unique within a file.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="Data">The values, row-major; exactly the product of <paramref name="Shape"/> of them.</param>
public readonly record struct SafetensorsTensor(string Name, int[] Shape, ReadOnlyMemory<float> Data);

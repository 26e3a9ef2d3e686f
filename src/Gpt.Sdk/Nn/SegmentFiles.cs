using Gpt.Sdk.IO;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Maps a <see cref="ParameterSegment"/> onto safetensors tensors and back, by each parameter's declared
/// file layout: a parameter declared <see cref="Parameter.StoredTransposed"/> (GPT-2's Conv1D) is (in, out) in
/// the file and (out, in) in memory. Model folders, PEFT adapters and heads all go through here.
/// </summary>
internal static class SegmentFiles
{
    /// <summary>Reads every parameter of <paramref name="segment"/> from <paramref name="file"/>, under the key
    /// <paramref name="keyOf"/> gives; a missing tensor or a shape that differs from the declaration is refused with a
    /// message saying the file does not hold <paramref name="describe"/> (a noun phrase), then <paramref name="advice"/>.</summary>
    public static void Read(SafetensorsFile file, ParameterSegment segment, Func<Parameter, string> keyOf, string describe, string? advice = null)
    {
        string then = advice is null ? "" : " " + advice;
        var host = new float[segment.Count];
        foreach (var p in segment.Items)
        {
            string key = keyOf(p);
            if (p.Compact is not null)
                throw new InvalidOperationException($"'{p.Name}' is held as bf16 or int8; weights are read into an fp32 model, which is then converted.");
            if (!file.TryGet(key, out var info))
                throw new ModelFileException(file.Path, $"'{file.Path}': tensor '{key}' is missing; the file does not hold {describe}.{then}", key);
            var target = host.AsSpan((int)p.Offset, p.Value.Length);
            int[] stored = StoredDims(p);
            if (!info.HasShape(stored))
                throw new ModelFileException(file.Path, $"'{file.Path}': tensor '{key}' has shape {info.ShapeText}; {describe} needs [{string.Join(", ", stored)}].{then}", key);
            if (p.StoredTransposed)
            {
                var buffer = new float[target.Length];
                file.ReadFloat32(key, buffer);
                Transpose(buffer, target, stored[0], stored[1]);
            }
            else
            {
                file.ReadFloat32(key, target);
            }
        }

        segment.CopyValuesFrom(host);
    }

    /// <summary>The segment's parameters as safetensors tensors in their file layout.</summary>
    public static List<SafetensorsTensor> Tensors(ParameterSegment segment, Func<Parameter, string> keyOf)
    {
        var host = new float[segment.Count];
        segment.CopyValuesTo(host);
        var tensors = new List<SafetensorsTensor>(segment.Items.Count);
        foreach (var p in segment.Items)
        {
            var values = p.Compact is { } compact ? compact.ToArray() : host.AsMemory((int)p.Offset, p.Value.Length);
            int[] stored = StoredDims(p);
            if (p.StoredTransposed)
            {
                var transposed = new float[values.Length];
                Transpose(values.Span, transposed, stored[1], stored[0]);         // (out, in) → (in, out)
                values = transposed;
            }

            tensors.Add(new SafetensorsTensor(keyOf(p), stored, values));
        }

        return tensors;
    }

    private static int[] StoredDims(Parameter p)
    {
        var dims = new int[p.Shape.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = p.Shape[i];
        if (p.StoredTransposed) (dims[0], dims[1]) = (dims[1], dims[0]);
        return dims;
    }

    // destination (cols, rows) = sourceᵀ of source (rows, cols)
    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                destination[c * rows + r] = source[r * cols + c];
    }
}

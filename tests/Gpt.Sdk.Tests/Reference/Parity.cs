using System.Runtime.InteropServices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>How the parity tests compare a result with PyTorch's: the largest absolute difference, beside the largest
/// magnitude of the expected values (tolerances are stated relative to it).</summary>
internal static class Parity
{
    public static (double MaxAbs, double Scale) Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return (maxAbs, scale);
    }

    /// <summary>A tensor PyTorch wrote in Hugging Face's file layout, in the layout <paramref name="p"/> is held: Conv1D weights
    /// inside the blocks are stored (in, out) there and held (out, in) here.</summary>
    public static float[] InSdkLayout(Parameter p, float[] stored)
    {
        bool conv1D = p.Name.StartsWith("h.", StringComparison.Ordinal) && p.Shape.Rank == 2;
        if (!conv1D) return stored;
        int outFeatures = p.Shape[0], inFeatures = p.Shape[1];
        var transposed = new float[stored.Length];
        for (int i = 0; i < inFeatures; i++)
            for (int o = 0; o < outFeatures; o++)
                transposed[o * inFeatures + i] = stored[i * outFeatures + o];
        return transposed;
    }

    /// <summary>A float32 tensor of a reference file.</summary>
    public static float[] Floats(SafetensorsFile file, string name)
    {
        var values = new float[file[name].ElementCount];
        file.ReadFloat32(name, values);
        return values;
    }

    /// <summary>An int32 tensor of a reference file (I32, little-endian like this machine).</summary>
    public static int[] Ints(SafetensorsFile file, string name)
    {
        var values = new int[file[name].ElementCount];
        file.ReadBytes(name, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}

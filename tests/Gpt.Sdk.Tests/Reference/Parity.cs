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
}

using System.Text.Json;
using Gpt.Sdk.Embeddings;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>Symmetric InfoNCE against tests/reference/pytorch/infonce_reference.py (PyTorch autograd, float64): loss,
/// gradients with respect to the raw embeddings and the log-temperature, with fixed and learned temperature and hard
/// negatives.</summary>
public class InfoNceParityTests
{
    public static TheoryData<int> Cases => [0, 1, 2];

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradientsMatchPyTorch(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "infonce_expected.json")));
        var c = json.RootElement.GetProperty("cases")[index];
        float[] Floats(string name) => c.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        int pairs = c.GetProperty("pairs").GetInt32(), dimension = c.GetProperty("dimension").GetInt32();

        var result = InfoNce.Compute(Floats("queries"), Floats("documents"), pairs, dimension, c.GetProperty("log_temperature").GetDouble());

        // Both sides compute in double from the same float32 inputs: the loss agrees to rounding; gradients are stored as
        // float32 here, so they agree to float precision relative to their largest element.
        Assert.Equal(c.GetProperty("loss").GetDouble(), result.Loss, 1e-9);
        Assert.Equal(c.GetProperty("grad_log_temperature").GetDouble(), result.LogTemperatureGradient, 1e-9);
        Assert.Equal(c.GetProperty("accuracy").GetDouble(), result.Accuracy);
        foreach (var (actual, name) in new[] { (result.QueryGradient, "grad_queries"), (result.DocumentGradient, "grad_documents") })
        {
            var (maxAbs, scale) = Parity.Compare(actual, Floats(name));
            Assert.True(maxAbs <= 1e-6 * scale, $"{c.GetProperty("name")}: {name} differs by {maxAbs:G3} at scale {scale:G3}");
        }
    }

    [Fact]
    public void TooFewDocumentsAreRefused() =>
        Assert.Throws<ArgumentException>(() => InfoNce.Compute(new float[6], new float[3], 2, 3, 0));
}

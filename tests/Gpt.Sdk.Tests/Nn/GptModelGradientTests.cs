using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Nn;

public class GptModelGradientTests
{
    // Every parameter of a 2-layer model: autograd's gradient against a central finite difference of
    // the loss. Float32 losses limit the difference quotient's precision, hence the mixed tolerance.
    [Fact]
    public void EveryParameterGradientMatchesFiniteDifferences()
    {
        var config = TinyModels.TwoLayer();
        using var model = new GptModel(config, seed: 7);
        // Larger-than-GPT-2 weights make every path (attention, MLP) carry a visible gradient.
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        var random = new Random(3);
        for (int i = 0; i < values.Length; i++) values[i] += (float)(random.NextDouble() - 0.5) * 0.4f;
        model.Parameters.CopyValuesFrom(values);

        const int batch = 2, seqLen = 5;
        int[] ids = TinyModels.RandomIds(batch * seqLen, config.VocabularySize, 1);
        int[] targets = TinyModels.RandomIds(batch * seqLen, config.VocabularySize, 2);
        targets[3] = -1; // a masked position must contribute nothing

        using var tape = new Tape(model.Device);
        model.Parameters.ZeroGradients();
        tape.Backward(model.Loss(tape, ids, targets, batch, seqLen));
        var analytic = new float[values.Length];
        model.Parameters.Device.Download(model.Parameters.AllGradients, analytic);

        double Loss()
        {
            tape.Reset();
            using var _ = tape.NoGrad();
            return model.Loss(tape, ids, targets, batch, seqLen).ToArray()[0];
        }

        const float h = 1e-2f;
        int checkedCount = 0;
        foreach (var p in model.Parameters.Items)
        {
            for (int j = 0; j < p.Value.Length; j++)
            {
                int i = (int)p.Offset + j;
                float original = values[i];
                values[i] = original + h;
                model.Parameters.CopyValuesFrom(values);
                double plus = Loss();
                values[i] = original - h;
                model.Parameters.CopyValuesFrom(values);
                double minus = Loss();
                values[i] = original;
                double numeric = (plus - minus) / (2 * h);
                double tolerance = 2e-3 + 3e-2 * Math.Abs(numeric);
                Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                    $"{p.Name}[{j}]: autograd {analytic[i]:G6}, finite difference {numeric:G6}");
                checkedCount++;
            }
        }

        model.Parameters.CopyValuesFrom(values);
        Assert.Equal(model.Parameters.Count, checkedCount);
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3); // the check is not vacuous
    }
}

using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Nn;

public class ScalarHeadTests
{
    // A reward/value head reads the trunk's hidden state at chosen positions: its own weights and the trunk's get the
    // gradient of Σ wᵢ·scoreᵢ, checked against finite differences.
    [Fact]
    public void ScoresAtChosenPositionsDifferentiateIntoTheHeadAndTheTrunk()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 2);
        using var head = new ScalarHead("score", model.Config.EmbeddingSize, model.Device, seed: 3, std: 0.5f);
        int[] ids = TinyModels.RandomIds(2 * 4, 11, 4);
        int[] positions = [3, 6, 4];                       // flat (b·T + t): row 0's last, row 1's third, row 1's first
        float[] weights = [1f, -0.5f, 2f];
        using var tape = new Tape(model.Device);
        var scores = head.Forward(tape, model.ForwardHidden(tape, ids, 2, 4), positions);
        Assert.Equal(new Shape(3), scores.Shape);
        tape.Backward(scores, weights);

        double Objective()
        {
            tape.Reset();
            using var _ = tape.NoGrad();
            float[] s = head.Forward(tape, model.ForwardHidden(tape, ids, 2, 4), positions).ToArray();
            return s.Select((v, i) => (double)v * weights[i]).Sum();
        }

        var headGradient = new float[head.Parameters.Count];
        head.Parameters.Device.Download(head.Parameters.AllGradients, headGradient);
        var headValues = new float[head.Parameters.Count];
        head.Parameters.CopyValuesTo(headValues);
        FiniteDifferences.Check(headValues, v => head.Parameters.CopyValuesFrom(v), Objective, headGradient, "head");

        // The trunk's final LayerNorm gain, a parameter every score depends on.
        var gain = model.FinalNorm.Weight;
        var trunkGradient = gain.Value.Grad!.ToArray();
        var all = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(all);
        var gainValues = all.AsSpan((int)gain.Offset, gain.Value.Length).ToArray();
        FiniteDifferences.Check(gainValues, v =>
        {
            v.CopyTo(all, (int)gain.Offset);
            model.Parameters.CopyValuesFrom(all);
        }, Objective, trunkGradient, "ln_f.weight");
    }

    [Fact]
    public void APositionOutsideTheSequenceIsRefused()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 2);
        using var head = new ScalarHead("value", model.Config.EmbeddingSize, model.Device);
        using var tape = new Tape(model.Device);
        var hidden = model.ForwardHidden(tape, [1, 2, 3], 1, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => head.Forward(tape, hidden, [3]));
    }
}

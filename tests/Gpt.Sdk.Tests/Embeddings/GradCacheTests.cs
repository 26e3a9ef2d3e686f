using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Reference;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Embeddings;

/// <summary>Gradient caching computes the same loss and parameter gradients as one pass over the whole batch.</summary>
public class GradCacheTests
{
    [Theory]
    [InlineData(EmbeddingPooling.EndToken, 6, true, 2, false, 3)]
    [InlineData(EmbeddingPooling.EndToken, null, false, 0, false, 5)]
    [InlineData(EmbeddingPooling.Mean, 4, true, 1, true, 4)]
    public void ChunkedBatchEqualsTheFullBatch(EmbeddingPooling pooling, int? projection, bool learnTemperature, int negatives, bool lora, int chunk)
    {
        using var model = new GptModel(EmbeddingModels.Config(), seed: 3);
        LoraAdapter? adapter = lora ? TinyModels.AddRandomLoraAdapter(model, "embedding", 5, 0.3f) : null;
        using var head = new EmbeddingHead(EmbeddingHead.ConfigFor(pooling, 16, EmbeddingModels.Bpe, projection), model.Device, seed: 7);
        var data = EmbeddingModels.Pairs(12, negatives);
        var options = new ContrastiveOptions { Temperature = 0.1f, LearnTemperature = learnTemperature };

        var (fullLoss, full) = Step(model, adapter, head, data, options with { ChunkSize = 0 });
        var (chunkedLoss, chunked) = Step(model, adapter, head, data, options with { ChunkSize = chunk });

        // Same rows, same math; only the padding of each pass (and so the GEMMs' shapes and summation order) differs.
        Assert.Equal(fullLoss, chunkedLoss, 1e-5);
        Assert.Equal(full.Count, chunked.Count);
        for (int i = 0; i < full.Count; i++)
        {
            var (maxAbs, scale) = Parity.Compare(chunked[i], full[i]);
            Assert.True(scale > 0, $"gradient {i} is zero: the check would be vacuous");
            Assert.True(maxAbs <= 1e-4 * scale, $"gradient {i} differs by {maxAbs:G3} at scale {scale:G3}");
        }
    }

    [Fact]
    public void WithDropoutTheCachedGradientIsTheGradientOfTheLossItComputes()
    {
        // Dropout draws its masks per chunk; the second pass must replay the first pass's masks, or the cached gradients
        // belong to another network. Finite differences of the chunked loss in the projection's weights check that.
        using var model = new GptModel(EmbeddingModels.Config(dropout: 0.2f), seed: 3);
        using var head = new EmbeddingHead(EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, EmbeddingModels.Bpe, 3), model.Device, seed: 7);
        var data = EmbeddingModels.Pairs(8, 1);
        var options = new ContrastiveOptions { Temperature = 0.1f, ChunkSize = 3 };
        var objective = new ContrastiveObjective(head, EmbeddingModels.Bpe, data, null, options, 8, 1);
        using var tape = new Tape(model.Device) { IsTraining = true };
        double Loss()
        {
            objective.DataPosition = 0;
            tape.Reset();
            var loss = objective.TrainingLoss(tape, new TrainingContext(model, null, 99));
            return loss.ToArray()[0];
        }

        model.Parameters.ZeroGradients();
        head.Parameters!.ZeroGradients();
        objective.DataPosition = 0;
        tape.Reset();
        tape.Backward(objective.TrainingLoss(tape, new TrainingContext(model, null, 99)));
        var weight = head.Projection!.Weight;
        var analytic = Gradients(head.Parameters)[..weight.Value.Length];
        var values = weight.Value.ToArray();
        FiniteDifferences.Check(values, v => weight.Value.CopyFrom(v), Loss, analytic, "projection weight", h: 1e-3f);
    }

    private static (double Loss, List<float[]> Gradients) Step(GptModel model, LoraAdapter? adapter, EmbeddingHead head, ContrastiveDataset data, ContrastiveOptions options)
    {
        var objective = new ContrastiveObjective(head, EmbeddingModels.Bpe, data, null, options, 6, seed: 1);
        var segments = model.Segments.Where(s => s.Trainable).Concat(objective.Segments).ToList();
        foreach (var s in segments) s.ZeroGradients();
        using var tape = new Tape(model.Device) { IsTraining = true };
        // As the trainer does with two accumulation steps: the loss back-propagated at half weight.
        var context = new TrainingContext(model, adapter, 42) { GradientScale = 0.5f };
        var loss = objective.TrainingLoss(tape, context);
        double value = loss.ToArray()[0];
        tape.Backward(loss, 0.5f);
        var gradients = segments.Select(Gradients).ToList();
        objective.TemperatureParameters?.Dispose();
        return (value, gradients);
    }

    private static float[] Gradients(ParameterSegment segment)
    {
        var values = new float[segment.Count];
        segment.Device.Download(segment.AllGradients, values);
        return values;
    }
}

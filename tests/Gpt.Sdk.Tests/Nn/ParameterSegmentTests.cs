using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Nn;

public class ParameterSegmentTests
{
    // A model built or loaded for inference holds no gradients: the buffer appears when a backward pass first needs it.
    [Fact]
    public void GradientsAreAllocatedOnlyWhenABackwardPassNeedsThem()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 1);
        Assert.True(model.Parameters.Trainable);
        Assert.False(model.Parameters.HasGradients);
        Assert.Null(model.TokenEmbedding.Value.Grad);
        using var tape = new Tape(model.Device);
        using (tape.NoGrad()) model.Loss(tape, [1, 2, 3], [2, 3, 4], 1, 3);
        Assert.False(model.Parameters.HasGradients);
        tape.Reset();
        tape.Backward(model.Loss(tape, [1, 2, 3], [2, 3, 4], 1, 3));
        Assert.True(model.Parameters.HasGradients);
        Assert.True(model.Parameters.Device.SumOfSquares(model.Parameters.AllGradients) > 0);
    }

    [Fact]
    public void AFrozenSegmentHoldsNoGradientBuffer()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 1);
        model.Parameters.AllocateGradients();
        Assert.NotNull(model.TokenEmbedding.Value.Grad);
        model.Parameters.Trainable = false;
        Assert.Throws<InvalidOperationException>(() => model.Parameters.Gradients);
        Assert.All(model.Parameters.Items, p => Assert.Null(p.Value.Grad));
        Assert.All(model.Parameters.Items, p => Assert.True(p.Frozen));

        // A pass on the frozen model records nothing for it: there is nothing to differentiate.
        using var tape = new Tape(model.Device);
        var loss = model.Loss(tape, [1, 2, 3], [2, 3, 4], 1, 3);
        Assert.Throws<InvalidOperationException>(() => tape.Backward(loss));

        model.Parameters.Trainable = true;
        Assert.False(model.Parameters.HasGradients);
        Assert.Equal(0f, model.Parameters.Device.SumOfSquares(model.Parameters.AllGradients));
    }

    [Fact]
    public void DeclarationsAreRefusedOnceAllocatedAndNamesAreUnique()
    {
        var segment = new ParameterSegment("test");
        segment.Declare("a", new Shape(2, 3), ParameterInit.Zeros);
        Assert.Throws<ArgumentException>(() => segment.Declare("a", new Shape(2), ParameterInit.Zeros));
        Assert.Throws<ArgumentException>(() => segment.Declare("v", new Shape(3), ParameterInit.Zeros, storedTransposed: true));
        segment.Allocate(Device.Cpu);
        using var _ = segment;
        Assert.Throws<InvalidOperationException>(() => segment.Declare("b", new Shape(1), ParameterInit.Zeros));
        Assert.Equal(6, segment.Count);
        Assert.Throws<InvalidOperationException>(() => new ParameterSegment("empty").Allocate(Device.Cpu));
    }

    // The initialisation each parameter declares: GPT-2's N(0, 0.02), residual projections 0.02/√(2·n_layer), LayerNorm
    // gains one, biases zero; LoRA's A Kaiming-uniform within ±1/√in and B zero.
    [Fact]
    public void EveryParameterIsInitialisedAsDeclared()
    {
        var config = new GptConfig { VocabularySize = 64, ContextLength = 16, EmbeddingSize = 64, LayerCount = 8, HeadCount = 4 };
        using var model = new GptModel(config, seed: 3);
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        double Std(Parameter p) => Math.Sqrt(values.AsSpan((int)p.Offset, p.Value.Length).ToArray().Average(v => (double)v * v));
        Assert.InRange(Std(model.TokenEmbedding), 0.018, 0.022);
        Assert.InRange(Std(model.Blocks[0].Mlp.Expand.Weight), 0.018, 0.022);
        double residual = 0.02 / Math.Sqrt(2 * 8);
        Assert.InRange(Std(model.Blocks[3].Mlp.Projection.Weight), residual * 0.9, residual * 1.1);
        Assert.InRange(Std(model.Blocks[3].Attention.Projection.Weight), residual * 0.85, residual * 1.15);
        Assert.All(values.AsSpan((int)model.FinalNorm.Weight.Offset, 64).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(values.AsSpan((int)model.Blocks[2].Attention.QueryKeyValue.Bias.Offset, 192).ToArray(), v => Assert.Equal(0f, v));

        var adapter = model.AddLoraAdapter("a", new LoraConfig { Rank = 4, TargetModules = ["c_fc"] }, seed: 9);
        var lora = new float[adapter.Parameters.Count];
        adapter.Parameters.CopyValuesTo(lora);
        var a = adapter.Layers[0].A;
        var aValues = lora.AsSpan((int)a.Offset, a.Value.Length).ToArray();
        Assert.All(aValues, v => Assert.InRange(v, -1 / 8f, 1 / 8f));
        Assert.True(aValues.Max() > 0.1f && aValues.Min() < -0.1f);
        var b = adapter.Layers[0].B;
        Assert.All(lora.AsSpan((int)b.Offset, b.Value.Length).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheParameterCountComesFromTheDeclarations()
    {
        Assert.Equal(124_439_808, GptModel.ParameterCountOf(GptConfig.Gpt2Small));
        using var model = new GptModel(TinyModels.TwoLayer());
        Assert.Equal(GptModel.ParameterCountOf(TinyModels.TwoLayer()), model.ParameterCount);
    }

    [Fact]
    public void InitializingInChunksGivesTheValuesOfOneWholeFill()
    {
        // Larger than the 2^20-element chunk Initialize fills at a time, and starting at an odd offset, so chunk
        // boundaries fall inside a parameter and away from the segment's own.
        const int large = (1 << 20) + 1234;
        var segment = new ParameterSegment("test");
        var bias = segment.Declare("b", new Shape(7), ParameterInit.Ones);
        var weight = segment.Declare("w", new Shape(large), ParameterInit.Normal(0.02f));
        var a = segment.Declare("a", new Shape(3, 5), ParameterInit.KaimingUniform(5));
        segment.Allocate(Device.Cpu);
        using var _ = segment;
        segment.Initialize(seed: 42);

        var actual = new float[segment.Count];
        segment.CopyValuesTo(actual);
        var expected = new float[segment.Count];
        ulong stream = new Gpt.Kernels.Random.CounterRng(42).Fork(1).Seed;
        foreach (var p in new[] { bias, weight, a }) p.Init.Fill(expected.AsSpan((int)p.Offset, p.Value.Length), p.Offset, stream);
        Assert.Equal(expected, actual);
    }
}

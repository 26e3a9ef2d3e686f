using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Tensors;

namespace Gpt.Sdk.Tests.Nn.Lora;

public class LoraTests
{
    private static readonly int[] Ids = TinyModels.RandomIds(2 * 5, 11, 1);
    private static readonly int[] Targets = TinyModels.RandomIds(2 * 5, 11, 2);

    private static void Randomise(ParameterSegment segment, int seed, float scale)
    {
        var random = new Random(seed);
        var values = new float[segment.Count];
        segment.CopyValuesTo(values);
        for (int i = 0; i < values.Length; i++) values[i] += (float)(random.NextDouble() * 2 - 1) * scale;
        segment.CopyValuesFrom(values);
    }

    private static float[] Logits(GptModel model, LoraAdapter? adapter)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        return model.Forward(tape, Ids, 2, 5, new ForwardOptions { Adapter = adapter }).ToArray();
    }

    [Fact]
    public void ANewAdapterAndNoAdapterGiveTheBaseModelBitForBit()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 3);
        float[] before = Logits(model, null);
        var adapter = model.AddLoraAdapter("fresh", new LoraConfig { Rank = 2, TargetModules = [LoraConfig.AllLinear] }, seed: 1);
        Assert.Equal(before, Logits(model, adapter));           // B = 0: the update is exactly zero
        Randomise(adapter.Parameters, 4, 0.5f);
        Assert.NotEqual(before, Logits(model, adapter));
        Assert.Equal(before, Logits(model, null));              // disabled: the base, untouched
    }

    [Fact]
    public void AdapterGradientsMatchFiniteDifferencesAndTheFrozenBaseGetsNone()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 5);
        Randomise(model.Parameters, 6, 0.3f);
        var adapter = model.AddLoraAdapter("a", new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["c_attn", "c_proj", "c_fc"] }, seed: 2);
        Assert.False(model.Parameters.Trainable);
        Randomise(adapter.Parameters, 7, 0.5f);
        using var tape = new Tape(model.Device);
        var options = new ForwardOptions { Adapter = adapter };
        tape.Backward(model.Loss(tape, Ids, Targets, 2, 5, options));
        Assert.All(model.Parameters.Items, p => Assert.Null(p.Value.Grad));
        var analytic = new float[adapter.Parameters.Count];
        adapter.Parameters.Device.Download(adapter.Parameters.AllGradients, analytic);

        var values = new float[adapter.Parameters.Count];
        adapter.Parameters.CopyValuesTo(values);
        double Loss()
        {
            tape.Reset();
            using var _ = tape.NoGrad();
            return model.Loss(tape, Ids, Targets, 2, 5, options).ToArray()[0];
        }

        FiniteDifferences.Check(values, v => adapter.Parameters.CopyValuesFrom(v), Loss, analytic, "lora");
    }

    // The adapter adds, per adapted layer, its output and two rank-r tensors to a training pass, not copies of B·A·x,
    // its scaled value and their gradients: LoRA's activation memory stays near a full fine-tune's.
    [Fact]
    public void AnAdaptedTrainingPassHoldsLittleMoreActivationMemoryThanAFullOne()
    {
        var config = new GptConfig { VocabularySize = 50, ContextLength = 16, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 };
        int[] ids = TinyModels.RandomIds(2 * 16, 50, 1), targets = TinyModels.RandomIds(2 * 16, 50, 2);
        long Held(bool lora)
        {
            using var model = new GptModel(config, seed: 1);
            var adapter = lora ? model.AddLoraAdapter("a", new LoraConfig { Rank = 4, TargetModules = ["c_attn", "c_proj", "c_fc"] }, seed: 2) : null;
            using var tape = new Tape(model.Device);
            tape.Backward(model.Loss(tape, ids, targets, 2, 16, new ForwardOptions { Adapter = adapter }));
            return tape.BytesHeld;
        }

        long full = Held(lora: false), adapted = Held(lora: true);
        Assert.True(adapted < 1.4 * full, $"a LoRA pass holds {adapted} bytes, a full one {full}.");
    }

    [Fact]
    public void TargetsMatchAsPeftMatchesThem()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        string[] Names(params string[] targets) =>
            model.AddLoraAdapter(string.Join('+', targets), new LoraConfig { TargetModules = targets }).Layers.Select(l => l.Target.Name).ToArray();
        Assert.Equal(["h.0.attn.c_proj", "h.0.mlp.c_proj", "h.1.attn.c_proj", "h.1.mlp.c_proj"], Names("c_proj"));
        Assert.Equal(["h.0.attn.c_proj", "h.1.attn.c_proj"], Names("attn.c_proj"));
        Assert.Equal(8, Names(LoraConfig.AllLinear).Length);
        var error = Assert.Throws<ArgumentException>(() => model.AddLoraAdapter("bad", new LoraConfig { TargetModules = ["q_proj"] }));
        Assert.Contains("q_proj", error.Message);
        Assert.False(model.Adapters.ContainsKey("bad"));
        Assert.Equal(2f, new LoraConfig { Rank = 4, Alpha = 8 }.Scaling);
        Assert.Equal(4f, new LoraConfig { Rank = 4, Alpha = 8, UseRsLora = true }.Scaling);
    }

    [Fact]
    public void MergingFoldsTheUpdateInAndUnmergingTakesItOut()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 3);
        float[] baseLogits = Logits(model, null);
        var adapter = model.AddLoraAdapter("a", new LoraConfig { Rank = 2, TargetModules = [LoraConfig.AllLinear] });
        Randomise(adapter.Parameters, 4, 0.5f);
        float[] adapted = Logits(model, adapter);
        adapter.Merge();
        Assert.True(adapter.IsMerged);
        Assert.Equal(adapted, Logits(model, adapter), new FloatTolerance(1e-5f));
        var refused = Assert.Throws<InvalidOperationException>(() => Logits(model, null));
        Assert.Contains("unmerge", refused.Message);
        adapter.Unmerge();
        Assert.Equal(baseLogits, Logits(model, null), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void AnAdapterNameThatIsNotLoadedIsRefusedWithTheLoadedNames()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        model.AddLoraAdapter("support", new LoraConfig());
        var error = Assert.Throws<KeyNotFoundException>(() => model.GetAdapter("sales"));
        Assert.Contains("support", error.Message);
        Assert.Throws<ArgumentException>(() => model.AddLoraAdapter("support", new LoraConfig()));
        using var other = new GptModel(TinyModels.TwoLayer());
        var foreign = other.AddLoraAdapter("x", new LoraConfig());
        Assert.Throws<ArgumentException>(() => Logits(model, foreign));
        Assert.Throws<ArgumentException>(() => new LoraConfig { Rank = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoraConfig { Alpha = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoraConfig { Dropout = 1 }.Validate());
    }
}

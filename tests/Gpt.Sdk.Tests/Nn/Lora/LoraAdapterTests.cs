using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Nn.Lora;

/// <summary>LoRA settings and adapters on a model: validation, PEFT's target matching and scaling, and a new
/// adapter leaving the model unchanged.</summary>
public sealed class LoraAdapterTests
{
    private static readonly int[] Ids = TinyModels.RandomIds(16, 11, 8);

    [Theory]
    [InlineData(0, 8f, 0f, "rank")]
    [InlineData(-2, 8f, 0f, "rank")]
    [InlineData(4, 0f, 0f, "lora_alpha")]
    [InlineData(4, -1f, 0f, "lora_alpha")]
    [InlineData(4, float.NaN, 0f, "lora_alpha")]
    [InlineData(4, float.PositiveInfinity, 0f, "lora_alpha")]
    [InlineData(4, 8f, 1f, "lora_dropout")]
    [InlineData(4, 8f, -0.1f, "lora_dropout")]
    public void InvalidSettingsAreRefusedNamingTheSetting(int rank, float alpha, float dropout, string setting)
    {
        var config = new LoraConfig { Rank = rank, Alpha = alpha, Dropout = dropout };
        Assert.Contains(setting, Assert.Throws<ArgumentException>(() => config.Validate()).Message);

        using var model = new GptModel(TinyModels.TwoLayer());
        Assert.Throws<ArgumentException>(() => model.AddLoraAdapter("a", config));
        Assert.Empty(model.Adapters);
        Assert.True(model.Parameters.Trainable);
    }

    [Fact]
    public void NoTargetsAreRefused()
    {
        Assert.Contains("target_modules", Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = [] }.Validate()).Message);
        Assert.Contains("target_modules", Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = ["c_attn", " "] }.Validate()).Message);
    }

    [Fact]
    public void ANewAdapterLeavesTheLogitsBitIdentical()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 2);
        float[] baseLogits = Logits(model, adapter: null);

        // A is random but B is zero (PEFT's initialisation), so B·A·x adds exactly zero to every layer.
        var adapter = model.AddLoraAdapter("new", new LoraConfig { Rank = 4, Alpha = 16, TargetModules = [LoraConfig.AllLinear] }, seed: 9);

        Assert.Contains(Values(adapter.Parameters), v => v != 0);
        Assert.All(adapter.Layers, l => Assert.All(Values(l.B), v => Assert.Equal(0f, v)));
        Assert.Equal(baseLogits, Logits(model, adapter));
        Assert.False(model.Parameters.Trainable);      // AddLoraAdapter freezes the base by default
    }

    [Fact]
    public void RsLoraScalesByAlphaOverTheSquareRootOfTheRank()
    {
        var plain = new LoraConfig { Rank = 16, Alpha = 8 };
        var rs = plain with { UseRsLora = true };
        Assert.Equal(0.5f, plain.Scaling);
        Assert.Equal(2f, rs.Scaling);

        // The same A and B: rsLoRA with alpha 4 at rank 4 scales by 4/√4 = 2, as plain LoRA with alpha 8 (8/4) does.
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 4);
        var rsAdapter = model.AddLoraAdapter("rs", new LoraConfig { Rank = 4, Alpha = 4, UseRsLora = true, TargetModules = ["c_attn", "c_fc"] });
        var same = model.AddLoraAdapter("plain8", new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["c_attn", "c_fc"] });
        var half = model.AddLoraAdapter("plain4", new LoraConfig { Rank = 4, Alpha = 4, TargetModules = ["c_attn", "c_fc"] });
        var values = new float[rsAdapter.Parameters.Count];
        var random = new Random(6);
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle() - 0.5f;
        foreach (var adapter in new[] { rsAdapter, same, half }) adapter.Parameters.CopyValuesFrom(values);

        Assert.All(rsAdapter.Layers, l => Assert.Equal(2f, l.Scaling));
        Assert.Equal(Logits(model, same), Logits(model, rsAdapter));
        Assert.NotEqual(Logits(model, half), Logits(model, rsAdapter));
    }

    [Theory]
    [InlineData(new[] { "c_proj" }, new[] { "h.0.attn.c_proj", "h.0.mlp.c_proj", "h.1.attn.c_proj", "h.1.mlp.c_proj" })]
    [InlineData(new[] { "attn.c_proj" }, new[] { "h.0.attn.c_proj", "h.1.attn.c_proj" })]
    [InlineData(new[] { "mlp.c_proj", "c_attn" }, new[] { "h.0.attn.c_attn", "h.0.mlp.c_proj", "h.1.attn.c_attn", "h.1.mlp.c_proj" })]
    [InlineData(new[] { "h.1.mlp.c_fc" }, new[] { "h.1.mlp.c_fc" })]
    [InlineData(new[] { "transformer.h.0.attn.c_attn" }, new[] { "h.0.attn.c_attn" })]    // the full path PEFT sees in GPT2LMHeadModel
    [InlineData(new[] { LoraConfig.AllLinear },
        new[] { "h.0.attn.c_attn", "h.0.attn.c_proj", "h.0.mlp.c_fc", "h.0.mlp.c_proj", "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.mlp.c_fc", "h.1.mlp.c_proj" })]
    public void TargetsMatchModulePathsAsPeftDoes(string[] targets, string[] adapted)
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        var adapter = model.AddLoraAdapter("a", new LoraConfig { TargetModules = targets });

        Assert.Equal(adapted, adapter.Layers.Select(l => l.Target.Name));
        Assert.Equal(adapted.Length * 2, adapter.Parameters.Items.Count);
    }

    [Theory]
    [InlineData("q_proj")]
    [InlineData("proj")]       // a suffix of a name is not a module name
    [InlineData("h.2.attn.c_attn")]
    public void TargetsThatMatchNothingAreRefusedAndNothingIsAdded(string target)
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        var e = Assert.Throws<ArgumentException>(() => model.AddLoraAdapter("a", new LoraConfig { TargetModules = ["c_attn", target] }));
        Assert.Contains($"'{target}' matches no linear layer", e.Message);
        Assert.Empty(model.Adapters);
        Assert.True(model.Parameters.Trainable);
    }

    [Fact]
    public void ANameIsUsedOnce()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        var first = model.AddLoraAdapter("a", new LoraConfig());
        Assert.Contains("'a' is already loaded", Assert.Throws<ArgumentException>(() => model.AddLoraAdapter("a", new LoraConfig())).Message);
        Assert.Same(first, model.GetAdapter("a"));
        Assert.Single(model.Adapters);
    }

    private static float[] Logits(GptModel model, LoraAdapter? adapter)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        return model.Forward(tape, Ids, 2, 8, new ForwardOptions { Adapter = adapter }).ToArray();
    }

    private static float[] Values(ParameterSegment segment)
    {
        var values = new float[segment.Count];
        segment.CopyValuesTo(values);
        return values;
    }

    private static float[] Values(Parameter parameter) =>
        Values(parameter.Segment).AsSpan((int)parameter.Offset, parameter.Value.Length).ToArray();
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.IO;

namespace Gpt.Sdk.Tests.Nn.Lora;

/// <summary>
/// PEFT adapter folders: what <see cref="PeftAdapterFiles.Save"/> writes loads back unchanged, and every folder
/// that cannot be applied is refused with an error naming the file and the problem, leaving the model as it was
/// (no adapter registered, the base not frozen). The refusals start from the PyTorch fixture's adapter
/// (Reference/lora_tiny/adapter, written in PEFT 0.15's layout) with one thing broken.
/// </summary>
public sealed class PeftAdapterFilesTests : IDisposable
{
    private static readonly string BaseFolder = Path.Combine(AppContext.BaseDirectory, "Reference", "lora_tiny");
    private static readonly string FixtureAdapter = Path.Combine(BaseFolder, "adapter");
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<LoraConfig> Configs => new()
    {
        new LoraConfig { Rank = 3, Alpha = 6.5f, Dropout = 0.1f, TargetModules = ["c_attn", "mlp.c_proj"], UseRsLora = true },
        new LoraConfig { Rank = 1, Alpha = 0.25f, TargetModules = [LoraConfig.AllLinear] },
        new LoraConfig { Rank = 8, Alpha = 16f, Dropout = 0.05f, TargetModules = ["c_proj"] },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void SavedAdapterLoadsBackBitIdenticalWithTheSameConfig(LoraConfig config)
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 5);
        var adapter = model.AddLoraAdapter("trained", config, seed: 7);
        FillRandomly(adapter.Parameters, seed: 3);    // B is zero when added; give every value something to carry
        string folder = _temp.File("adapter");

        PeftAdapterFiles.Save(adapter, folder, baseModelPath: "tiny");
        using var other = new GptModel(TinyModels.TwoLayer(), seed: 5);
        var loaded = PeftAdapterFiles.Load(other, folder);

        Assert.Equal("adapter", loaded.Name);                          // the folder's name by default
        Assert.Equal(adapter.Parameters.Items.Select(p => (p.Name, p.Shape)), loaded.Parameters.Items.Select(p => (p.Name, p.Shape)));
        Assert.Equal(Values(adapter.Parameters), Values(loaded.Parameters));
        foreach (var read in new[] { PeftAdapterFiles.ReadConfig(folder), loaded.Config })
        {
            Assert.Equal(config.Rank, read.Rank);
            Assert.Equal(config.Alpha, read.Alpha);
            Assert.Equal(config.Dropout, read.Dropout);
            Assert.Equal(config.TargetModules, read.TargetModules);
            Assert.Equal(config.UseRsLora, read.UseRsLora);
            Assert.Equal(config.Scaling, read.Scaling);
        }

        int[] ids = TinyModels.RandomIds(8, 11, 1);
        Assert.Equal(Logits(model, ids, adapter), Logits(other, ids, loaded));
    }

    [Fact]
    public void SavedConfigCarriesWhatPeftNeeds()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        var adapter = model.AddLoraAdapter("a", new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["c_fc"] });
        string folder = _temp.File("adapter");

        PeftAdapterFiles.Save(adapter, folder, baseModelPath: "tiny");

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PeftAdapterFiles.ConfigFileName)))!;
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)json["task_type"]);
        Assert.True((bool)json["fan_in_fan_out"]!);            // GPT-2's Conv1D layers
        Assert.Equal("none", (string?)json["bias"]);
        Assert.Equal("tiny", (string?)json["base_model_name_or_path"]);
        using var weights = SafetensorsFile.Open(Path.Combine(folder, PeftAdapterFiles.WeightsFileName));
        Assert.Equal("pt", weights.Metadata["format"]);
        Assert.Equal(
            ["base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight", "base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight",
             "base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight", "base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight"],
            weights.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.True(weights["base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight"].HasShape(32, 2));   // (out, r), not transposed
    }

    [Fact]
    public void AnotherPeftTypeIsRefused()
    {
        string folder = CopyFixture(config => config["peft_type"] = "PREFIX_TUNING");
        var e = AssertRefused<ModelFileException>(folder, PeftAdapterFiles.ConfigFileName, "PREFIX_TUNING", "only LORA");
        Assert.Equal("peft_type", e.EntryName);
    }

    [Fact]
    public void AnAdapterTrainedOnAnotherBaseShapeIsRefused()
    {
        // The fixture's base with n_embd 16 instead of 32: same layers, so only the tensor shapes tell.
        var narrow = new GptConfig { VocabularySize = 61, ContextLength = 16, EmbeddingSize = 16, LayerCount = 2, HeadCount = 4 };
        using var model = new GptModel(narrow);
        var e = AssertRefused<ModelFileException>(model, FixtureAdapter, PeftAdapterFiles.WeightsFileName, "[4, 32]", "[4, 16]", "another base");
        Assert.Equal("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", e.EntryName);
    }

    [Fact]
    public void TargetsThatMatchNoLayerAreRefused()
    {
        string folder = CopyFixture(config => config["target_modules"] = new JsonArray("q_proj"));
        AssertRefused<ModelFileException>(folder, PeftAdapterFiles.ConfigFileName, "'q_proj' matches no linear layer", "c_attn");
    }

    [Fact]
    public void AMissingWeightsFileIsRefused()
    {
        string folder = CopyFixture();
        File.Delete(Path.Combine(folder, PeftAdapterFiles.WeightsFileName));
        var e = AssertRefused<FileNotFoundException>(folder, PeftAdapterFiles.WeightsFileName);
        Assert.Equal(Path.Combine(folder, PeftAdapterFiles.WeightsFileName), e.FileName);
    }

    [Fact]
    public void AMissingConfigFileIsRefused()
    {
        string folder = CopyFixture();
        File.Delete(Path.Combine(folder, PeftAdapterFiles.ConfigFileName));
        AssertRefused<FileNotFoundException>(folder, PeftAdapterFiles.ConfigFileName, "not a PEFT adapter folder");
    }

    [Fact]
    public void ExtraTensorsAreRefused()
    {
        const string extra = "base_model.model.lm_head.lora_A.weight";
        string folder = CopyFixture();
        RewriteWeights(folder, tensors => tensors.Add(new SafetensorsTensor(extra, [4, 32], new float[128])));
        var e = AssertRefused<ModelFileException>(folder, PeftAdapterFiles.WeightsFileName, extra, "no layer for");
        Assert.Equal(extra, e.EntryName);
    }

    [Fact]
    public void AMissingTensorIsRefused()
    {
        const string dropped = "base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight";
        string folder = CopyFixture();
        RewriteWeights(folder, tensors => tensors.RemoveAll(t => t.Name == dropped));
        AssertRefused<ModelFileException>(folder, PeftAdapterFiles.WeightsFileName, dropped, "missing");
    }

    [Fact]
    public void MalformedJsonIsRefused()
    {
        string folder = CopyFixture();
        File.WriteAllText(Path.Combine(folder, PeftAdapterFiles.ConfigFileName), "{\"peft_type\": \"LORA\", \"r\": 4,,}");
        AssertRefused<ModelFileException>(folder, PeftAdapterFiles.ConfigFileName, "not valid JSON", "line 1");
    }

    [Theory]
    [InlineData("r", "0", "rank")]
    [InlineData("r", "2.5", "r must be a whole number")]
    [InlineData("lora_alpha", "\"8\"", "lora_alpha must be a number")]
    [InlineData("lora_dropout", "1.0", "lora_dropout")]
    [InlineData("use_dora", "true", "DoRA")]
    [InlineData("target_modules", "\".*attn.*\"", "regular expressions")]
    public void UnusableSettingsAreRefused(string key, string json, string message)
    {
        string folder = CopyFixture(config => config[key] = JsonNode.Parse(json));
        AssertRefused<ModelFileException>(folder, PeftAdapterFiles.ConfigFileName, message);
    }

    [Fact]
    public void ANameAlreadyLoadedIsRefusedAndTheLoadedAdapterKeepsWorking()
    {
        using var model = GptModel.FromPretrained(BaseFolder);
        var first = PeftAdapterFiles.Load(model, FixtureAdapter, "ref");
        int[] ids = TinyModels.RandomIds(8, 61, 4);
        float[] before = Logits(model, ids, first);

        var e = Assert.Throws<ArgumentException>(() => PeftAdapterFiles.Load(model, FixtureAdapter, "ref"));

        Assert.Contains("'ref' is already loaded", e.Message);
        Assert.Equal(["ref"], model.Adapters.Keys);
        Assert.Same(first, model.GetAdapter("ref"));
        Assert.Equal(before, Logits(model, ids, first));
    }

    [Fact]
    public void GetAdapterOfANameNotLoadedSaysWhichAre()
    {
        using var model = GptModel.FromPretrained(BaseFolder);
        Assert.Contains("has no adapters", Assert.Throws<KeyNotFoundException>(() => model.GetAdapter("ref")).Message);

        PeftAdapterFiles.Load(model, FixtureAdapter, "ref");
        var e = Assert.Throws<KeyNotFoundException>(() => model.GetAdapter("other"));
        Assert.Contains("'other'", e.Message);
        Assert.Contains("loaded adapters: ref", e.Message);
    }

    /// <summary>Loading <paramref name="folder"/> onto the fixture's base throws <typeparamref name="T"/> whose message names
    /// <paramref name="file"/> and contains each of <paramref name="mentions"/>; nothing on the model changed.</summary>
    private static T AssertRefused<T>(string folder, string file, params string[] mentions) where T : Exception
    {
        using var model = GptModel.FromPretrained(BaseFolder);
        return AssertRefused<T>(model, folder, file, mentions);
    }

    private static T AssertRefused<T>(GptModel model, string folder, string file, params string[] mentions) where T : Exception
    {
        var e = Assert.Throws<T>(() => PeftAdapterFiles.Load(model, folder, "x", trainable: true));
        Assert.Contains(folder, e.Message);
        Assert.Contains(file, e.Message);
        if (e is ModelFileException modelFile)
        {
            Assert.Equal(Path.Combine(folder, file), modelFile.FilePath);
            Assert.Contains(modelFile.FilePath, e.Message);
        }

        foreach (string mention in mentions) Assert.Contains(mention, e.Message);
        Assert.Empty(model.Adapters);
        Assert.True(model.Parameters.Trainable, "a refused adapter must not freeze the base");
        return e;
    }

    /// <summary>A copy of the fixture's adapter folder, its config edited by <paramref name="edit"/>.</summary>
    private string CopyFixture(Action<JsonObject>? edit = null)
    {
        string folder = Directory.CreateDirectory(_temp.File($"adapter-{Guid.NewGuid():N}")).FullName;
        foreach (string file in Directory.GetFiles(FixtureAdapter)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        if (edit is not null)
        {
            string path = Path.Combine(folder, PeftAdapterFiles.ConfigFileName);
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edit(config);
            File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return folder;
    }

    private static void RewriteWeights(string folder, Action<List<SafetensorsTensor>> edit)
    {
        string path = Path.Combine(folder, PeftAdapterFiles.WeightsFileName);
        var tensors = new List<SafetensorsTensor>();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var info in file.Tensors)
            {
                var values = new float[info.ElementCount];
                file.ReadFloat32(info.Name, values);
                tensors.Add(new SafetensorsTensor(info.Name, info.Shape.Select(d => (int)d).ToArray(), values));
            }
        }

        edit(tensors);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static void FillRandomly(ParameterSegment segment, int seed)
    {
        var random = new Random(seed);
        var values = new float[segment.Count];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle() - 0.5f;
        segment.CopyValuesFrom(values);
    }

    private static float[] Values(ParameterSegment segment)
    {
        var values = new float[segment.Count];
        segment.CopyValuesTo(values);
        return values;
    }

    private static float[] Logits(GptModel model, int[] ids, LoraAdapter adapter)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        return model.Forward(tape, ids, 1, ids.Length, new ForwardOptions { Adapter = adapter }).ToArray();
    }
}

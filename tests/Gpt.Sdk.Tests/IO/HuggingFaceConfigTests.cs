using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Tests.IO;

public class HuggingFaceConfigTests : IDisposable
{
    // The config.json published with Hugging Face's "gpt2" model (GPT-2 small).
    private const string Gpt2Small = """
        {
          "activation_function": "gelu_new",
          "architectures": [
            "GPT2LMHeadModel"
          ],
          "attn_pdrop": 0.1,
          "bos_token_id": 50256,
          "embd_pdrop": 0.1,
          "eos_token_id": 50256,
          "initializer_range": 0.02,
          "layer_norm_epsilon": 1e-05,
          "model_type": "gpt2",
          "n_ctx": 1024,
          "n_embd": 768,
          "n_head": 12,
          "n_layer": 12,
          "n_positions": 1024,
          "resid_pdrop": 0.1,
          "summary_activation": null,
          "summary_first_dropout": 0.1,
          "summary_proj_to_labels": true,
          "summary_type": "cls_index",
          "summary_use_proj": true,
          "task_specific_params": {
            "text-generation": {
              "do_sample": true,
              "max_length": 50
            }
          },
          "vocab_size": 50257
        }
        """;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string ConfigFile(string json)
    {
        string path = _folder.File("config.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>The GPT-2 small config with one key replaced (or removed when <paramref name="value"/> is null).</summary>
    private string Gpt2With(string key, string? value)
    {
        JsonObject config = JsonNode.Parse(Gpt2Small)!.AsObject();
        config.Remove(key);
        if (value is not null) config[key] = JsonNode.Parse(value);
        return ConfigFile(config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private ModelFileException Refused(string path, params string[] fragments)
    {
        var error = Assert.Throws<ModelFileException>(() => HuggingFaceConfig.Read(path));
        Assert.Contains(path, error.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, error.Message);
        return error;
    }

    [Fact]
    public void ReadsHuggingFaceGpt2Small()
    {
        GptConfig config = HuggingFaceConfig.Read(ConfigFile(Gpt2Small));
        Assert.Equal(GptConfig.Gpt2Small with { Dropout = 0.1f }, config);
    }

    [Fact]
    public void ReadsFromAModelFolder()
    {
        ConfigFile(Gpt2Small);
        Assert.Equal(768, HuggingFaceConfig.Read(_folder.Path).EmbeddingSize);
    }

    [Fact]
    public void RoundTripsAConfiguration()
    {
        var config = new GptConfig
        {
            VocabularySize = 1000, ContextLength = 64, EmbeddingSize = 48, LayerCount = 3, HeadCount = 4,
            Dropout = 0.2f, LayerNormEpsilon = 1e-6f,
        };
        string path = _folder.File("config.json");
        HuggingFaceConfig.Write(path, config);
        Assert.Equal(config, HuggingFaceConfig.Read(path));
        HuggingFaceConfig.Write(_folder.Path, GptConfig.Gpt2Small);
        Assert.Equal(GptConfig.Gpt2Small, HuggingFaceConfig.Read(path));
        Assert.Single(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void WrittenFileHasEveryKeyHuggingFaceExpects()
    {
        string path = _folder.File("config.json");
        HuggingFaceConfig.Write(path, GptConfig.Gpt2Small with { Dropout = 0.1f });
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = json.RootElement;
        Assert.Equal("gpt2", root.GetProperty("model_type").GetString());
        Assert.Equal(["GPT2LMHeadModel"], root.GetProperty("architectures").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("gelu_new", root.GetProperty("activation_function").GetString());
        Assert.Equal("float32", root.GetProperty("torch_dtype").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("n_inner").ValueKind);
        Assert.True(root.GetProperty("tie_word_embeddings").GetBoolean());
        foreach ((string key, int value) in new[] { ("vocab_size", 50257), ("n_positions", 1024), ("n_ctx", 1024), ("n_embd", 768),
                     ("n_layer", 12), ("n_head", 12), ("bos_token_id", 50256), ("eos_token_id", 50256) })
            Assert.Equal(value, root.GetProperty(key).GetInt32());
        foreach (string key in new[] { "resid_pdrop", "embd_pdrop", "attn_pdrop" })
            Assert.Equal("0.1", root.GetProperty(key).GetRawText());
        Assert.Equal(1e-5, root.GetProperty("layer_norm_epsilon").GetDouble(), 1e-12);
        Assert.Equal(0.02, root.GetProperty("initializer_range").GetDouble());
    }

    [Fact]
    public void SmallVocabularyWritesNullSpecialTokensInsteadOfAnIdOutsideIt()
    {
        string path = _folder.File("config.json");
        HuggingFaceConfig.Write(path, GptConfig.Gpt2Small with { VocabularySize = 65 });
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("eos_token_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("bos_token_id").ValueKind);
    }

    [Fact]
    public void WriteRefusesAnInvalidConfiguration()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            HuggingFaceConfig.Write(_folder.File("config.json"), GptConfig.Gpt2Small with { HeadCount = 5 }));
        Assert.Contains("n_head", error.Message);
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void MissingKeysTakeGpt2Defaults()
    {
        Assert.Equal(GptConfig.Gpt2Small with { Dropout = 0.1f }, HuggingFaceConfig.Read(ConfigFile("{}")));
        GptConfig partial = HuggingFaceConfig.Read(ConfigFile("""{"n_embd": 256, "n_head": 4, "n_inner": null}"""));
        Assert.Equal(GptConfig.Gpt2Small with { EmbeddingSize = 256, HeadCount = 4, Dropout = 0.1f }, partial);
    }

    [Fact]
    public void MissingModelTypeIsAccepted() =>
        Assert.Equal(GptConfig.Gpt2Small with { Dropout = 0.1f }, HuggingFaceConfig.Read(Gpt2With("model_type", null)));

    [Fact]
    public void ByteOrderMarkIsSkipped()
    {
        string path = _folder.File("config.json");
        File.WriteAllText(path, Gpt2Small, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);
        Assert.Equal(768, HuggingFaceConfig.Read(path).EmbeddingSize);
    }

    [Fact]
    public void OlderFilesWithOnlyNCtxUseIt()
    {
        string path = Gpt2With("n_positions", null);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"n_ctx\": 1024", "\"n_ctx\": 512"));
        Assert.Equal(512, HuggingFaceConfig.Read(path).ContextLength);
    }

    [Fact]
    public void DropoutComesFromResidPdrop()
    {
        string path = Gpt2With("resid_pdrop", "0.25");
        Assert.Equal(0.25f, HuggingFaceConfig.Read(path).Dropout);
    }

    [Fact]
    public void MissingFileNamesThePathAndConfigJson()
    {
        string path = _folder.File("config.json");
        var error = Assert.Throws<FileNotFoundException>(() => HuggingFaceConfig.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("needs a config.json", error.Message);
        Assert.Throws<FileNotFoundException>(() => HuggingFaceConfig.Read(_folder.Path));
    }

    [Fact]
    public void BadJsonNamesTheLine()
    {
        string path = ConfigFile("{\n  \"n_embd\": 768,\n  \"n_head\": ,\n  \"n_layer\": 12\n}");
        var error = Refused(path, "not valid JSON", "line 3, byte 13");
        Assert.DoesNotContain("LineNumber", error.Message);
        Refused(ConfigFile("[1, 2]"), "JSON Array");
    }

    [Fact]
    public void OtherModelTypesAreRefused() =>
        Assert.Equal("model_type", Refused(Gpt2With("model_type", "\"llama\""), "model_type is 'llama'", "gpt2").EntryName);

    [Fact]
    public void ExactGeluIsRefusedSayingWhatToDo() =>
        Refused(Gpt2With("activation_function", "\"gelu\""), "activation_function is 'gelu'", "erf", "tanh", "'gelu_new'");

    [Fact]
    public void OtherActivationsAreRefusedButTanhGeluSpellingsAccepted()
    {
        Refused(Gpt2With("activation_function", "\"relu\""), "activation_function is 'relu'");
        Assert.Equal(768, HuggingFaceConfig.Read(Gpt2With("activation_function", "\"gelu_pytorch_tanh\"")).EmbeddingSize);
    }

    [Fact]
    public void MlpWidthOtherThanFourTimesTheEmbeddingIsRefused()
    {
        Refused(Gpt2With("n_inner", "1000"), "n_inner is 1000", "4 × n_embd = 3072");
        Assert.Equal(768, HuggingFaceConfig.Read(Gpt2With("n_inner", "3072")).EmbeddingSize);
        Assert.Equal(768, HuggingFaceConfig.Read(Gpt2With("n_inner", "null")).EmbeddingSize);
    }

    [Theory]
    [InlineData("scale_attn_weights", "false")]
    [InlineData("scale_attn_by_inverse_layer_idx", "true")]
    [InlineData("tie_word_embeddings", "false")]
    public void ArchitectureVariantsTheSdkDoesNotImplementAreRefused(string key, string value) =>
        Assert.Equal(key, Refused(Gpt2With(key, value), $"{key} is {value}").EntryName);

    [Theory]
    [InlineData("n_embd", "\"768\"")]
    [InlineData("n_layer", "12.5")]
    [InlineData("vocab_size", "1e20")]
    [InlineData("layer_norm_epsilon", "\"small\"")]
    [InlineData("model_type", "2")]
    [InlineData("scale_attn_weights", "1")]
    public void WrongValueTypesAreRefusedNamingTheKey(string key, string value) =>
        Assert.Equal(key, Refused(Gpt2With(key, value), $"{key} is {value}").EntryName);

    [Fact]
    public void ShapesGptConfigRefusesSurfaceNamingTheField()
    {
        var error = Refused(Gpt2With("n_embd", "770"), "cannot be built", "n_embd (770)", "n_head (12)");
        Assert.IsType<ArgumentException>(error.InnerException);
        Refused(Gpt2With("n_layer", "0"), "n_layer must be positive");
        Refused(Gpt2With("vocab_size", "-5"), "vocab_size must be positive");
        Refused(Gpt2With("resid_pdrop", "1.5"), "dropout");
    }
}

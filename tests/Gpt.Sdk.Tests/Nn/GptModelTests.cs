using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Nn;

public sealed class GptModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Logits(GptModel model, int[] ids, int batch, int seqLen)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        return model.Forward(tape, ids, batch, seqLen).ToArray();
    }

    [Fact]
    public void SavedAndReloadedModelGivesBitIdenticalLogits()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 11);
        int[] ids = TinyModels.RandomIds(16, 11, 5);
        model.Save(_folder);
        using var loaded = GptModel.FromPretrained(_folder);
        Assert.Equal(model.Config, loaded.Config);
        Assert.Equal(Logits(model, ids, 2, 8), Logits(loaded, ids, 2, 8));
    }

    [Fact]
    public void ForwardIsDeterministicAndCausal()
    {
        using var model = new GptModel(TinyModels.TwoLayer(), seed: 3);
        int[] ids = TinyModels.RandomIds(8, 11, 9);
        float[] first = Logits(model, ids, 1, 8);
        Assert.Equal(first, Logits(model, ids, 1, 8));
        // Changing the last token must not change any earlier position's logits.
        ids[7] = (ids[7] + 1) % 11;
        float[] changed = Logits(model, ids, 1, 8);
        Assert.Equal(first.AsSpan(0, 7 * 11).ToArray(), changed.AsSpan(0, 7 * 11).ToArray());
        Assert.NotEqual(first.AsSpan(7 * 11).ToArray(), changed.AsSpan(7 * 11).ToArray());
    }

    // A file written the way Hugging Face stores GPT-2 (Conv1D weights as (in, out), mask buffers,
    // a tied lm_head, with or without the "transformer." prefix) loads into the same model.
    [Theory]
    [InlineData("")]
    [InlineData("transformer.")]
    public void HuggingFaceLayoutLoadsAndMatches(string prefix)
    {
        var config = TinyModels.TwoLayer();
        using var original = new GptModel(config, seed: 21);
        var host = new float[original.Parameters.Count];
        original.Parameters.CopyValuesTo(host);
        var tensors = new List<SafetensorsTensor>();
        foreach (var p in original.Parameters.Items)
        {
            var values = host.AsSpan((int)p.Offset, p.Value.Length);
            if (p.Shape.Rank == 2 && p.Name.StartsWith("h.", StringComparison.Ordinal))
            {
                int rows = p.Shape[0], cols = p.Shape[1];
                var transposed = new float[values.Length];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) transposed[c * rows + r] = values[r * cols + c];
                tensors.Add(new SafetensorsTensor(prefix + p.Name, [cols, rows], transposed));
            }
            else
            {
                int[] dims = p.Shape.Rank == 2 ? [p.Shape[0], p.Shape[1]] : [p.Shape[0]];
                tensors.Add(new SafetensorsTensor(prefix + p.Name, dims, values.ToArray()));
            }
        }

        for (int layer = 0; layer < config.LayerCount; layer++)
            tensors.Add(new SafetensorsTensor($"{prefix}h.{layer}.attn.bias", [1, 1, 8, 8], new float[64]));
        tensors.Add(new SafetensorsTensor("lm_head.weight", [11, 8], host.AsSpan(0, 88).ToArray()));
        SafetensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), tensors);
        HuggingFaceConfig.Write(Path.Combine(_folder, "config.json"), config);

        using var loaded = GptModel.FromPretrained(_folder);
        int[] ids = TinyModels.RandomIds(8, 11, 4);
        Assert.Equal(Logits(original, ids, 1, 8), Logits(loaded, ids, 1, 8));
    }

    [Fact]
    public void MissingTensorIsRefusedNamingIt()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        model.Save(_folder);
        string path = Path.Combine(_folder, "model.safetensors");
        using (var file = SafetensorsFile.Open(path))
        {
            var kept = file.Tensors.Where(t => t.Name != "transformer.h.1.mlp.c_fc.bias")
                .Select(t =>
                {
                    var data = new float[t.ElementCount];
                    file.ReadFloat32(t.Name, data);
                    return new SafetensorsTensor(t.Name, t.Shape.Select(d => (int)d).ToArray(), data);
                }).ToList();
            file.Dispose();
            SafetensorsWriter.Write(path, kept);
        }

        var error = Assert.Throws<ModelFileException>(() => GptModel.FromPretrained(_folder));
        Assert.Contains("h.1.mlp.c_fc.bias", error.Message);
    }

    [Fact]
    public void WrongShapeIsRefused()
    {
        using (var model = new GptModel(TinyModels.TwoLayer())) model.Save(_folder);
        // Same file, but config.json now claims a wider MLP-free change: a different vocabulary.
        HuggingFaceConfig.Write(Path.Combine(_folder, "config.json"), TinyModels.TwoLayer() with { VocabularySize = 12 });
        var error = Assert.Throws<ModelFileException>(() => GptModel.FromPretrained(_folder));
        Assert.Contains("wte.weight", error.Message);
    }

    [Fact]
    public void MissingFolderIsRefused()
    {
        Assert.Throws<DirectoryNotFoundException>(() => GptModel.FromPretrained(Path.Combine(_folder, "nope")));
        Assert.Throws<FileNotFoundException>(() => GptModel.FromPretrained(_folder));
    }

    [Fact]
    public void BadInputsAreRefused()
    {
        using var model = new GptModel(TinyModels.TwoLayer());
        using var tape = new Tape(model.Device);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tape, new int[9], 1, 9));
        Assert.Contains("context", tooLong.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tape, [1, 2, 11], 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tape, [1, -2, 3], 1, 3));
        Assert.Throws<ArgumentException>(() => model.Forward(tape, [1, 2, 3], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss(tape, [1, 2], [1, 11], 1, 2));
        Assert.Throws<ArgumentException>(() => model.Loss(tape, [1, 2], [-1, -1], 1, 2));
    }

    [Theory]
    [InlineData(10, 3, "divisible")]
    [InlineData(0, 1, "n_embd")]
    [InlineData(8, 0, "n_head")]
    public void InvalidConfigsAreRefused(int width, int heads, string expected)
    {
        var config = TinyModels.TwoLayer() with { EmbeddingSize = width, HeadCount = heads };
        var error = Assert.Throws<ArgumentException>(() => new GptModel(config));
        Assert.Contains(expected, error.Message);
        Assert.Throws<ArgumentException>(() => new GptModel(TinyModels.TwoLayer() with { LayerCount = 0 }));
        Assert.Throws<ArgumentException>(() => new GptModel(TinyModels.TwoLayer() with { Dropout = 1f }));
    }

    [Fact]
    public void Gpt2SmallHasTheKnownParameterCount() => Assert.Equal(124_439_808, GptModel.ParameterCountOf(GptConfig.Gpt2Small));
}

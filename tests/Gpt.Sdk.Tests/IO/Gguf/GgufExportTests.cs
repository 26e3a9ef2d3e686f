using Gpt.Kernels.Quantization;
using Gpt.Sdk.IO;
using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.IO.Gguf;

public class GgufExportTests
{
    private const uint F32 = 0, F16 = 1, Q8_0 = 8;

    private static readonly string[] Corpus =
    [
        "the cat sat on the mat. the dog sat on the log.\n",
        "a bird sang in the tree; the cat watched the bird.\n",
        "Don't stop: 42 birds, 7 cats and 1 dog ran away!\n",
    ];

    // A byte-level tokenizer of a little over 256 ids, and a model whose vocabulary is 3 ids larger, as a model whose
    // embedding was padded past its tokenizer is (GPT-2's own is not, but models trained on a rounded vocabulary are).
    private static (GptModel Model, BpeTokenizer Tokenizer) TinyModel(int embedding = 32, ulong seed = 3)
    {
        var tokenizer = BpeTrainer.Train(Enumerable.Repeat(Corpus, 20).SelectMany(c => c), new BpeTrainerOptions { VocabularySize = 290 });
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize + 3, ContextLength = 16, EmbeddingSize = embedding, LayerCount = 2, HeadCount = 2,
        };
        return (new GptModel(config, seed: seed), tokenizer);
    }

    private static async Task<GgufFileReader> Export(GptModel model, BpeTokenizer tokenizer, GgufType type, TempFolder folder, string name = "model.gguf")
    {
        string path = folder.File(name);
        await GgufExport.WriteAsync(model, tokenizer, path, type);
        return new GgufFileReader(File.ReadAllBytes(path));
    }

    private static float[] Values(Parameter p)
    {
        var all = new float[p.Segment.Count];
        p.Segment.CopyValuesTo(all);
        return all.AsSpan((int)p.Offset, p.Value.Length).ToArray();
    }

    [Fact]
    public async Task MetadataDescribesTheModelAsLlamaCppsGpt2()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.F16, folder, "tiny-gpt.gguf");
        var m = file.Metadata;

        Assert.Equal(3u, file.Version);
        Assert.Equal("gpt2", m["general.architecture"]);
        Assert.Equal("tiny-gpt", m["general.name"]);
        Assert.Equal(1u, m["general.file_type"]);
        Assert.Equal(2u, m["general.quantization_version"]);
        Assert.Equal(16u, m["gpt2.context_length"]);
        Assert.Equal(32u, m["gpt2.embedding_length"]);
        Assert.Equal(128u, m["gpt2.feed_forward_length"]);
        Assert.Equal(2u, m["gpt2.block_count"]);
        Assert.Equal(2u, m["gpt2.attention.head_count"]);
        Assert.Equal(1e-5f, m["gpt2.attention.layer_norm_epsilon"]);
        Assert.Equal("gpt2", m["tokenizer.ggml.model"]);
        Assert.Equal("gpt-2", m["tokenizer.ggml.pre"]);
        Assert.Equal(false, m["tokenizer.ggml.add_bos_token"]);
        Assert.False(m.ContainsKey("general.alignment"));   // 32, the default, is not written (as llama.cpp's writer)
    }

    [Fact]
    public async Task VocabularyIsTheTokenizersInByteLevelSpellingPaddedToTheModel()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.F32, folder);
        var tokens = (object[])file.Metadata["tokenizer.ggml.tokens"];
        var types = (object[])file.Metadata["tokenizer.ggml.token_type"];
        var merges = (object[])file.Metadata["tokenizer.ggml.merges"];
        int endOfText = tokenizer.SpecialTokens[WellKnownSpecialTokens.EndOfText];

        Assert.Equal(model.Config.VocabularySize, tokens.Length);
        Assert.Equal(model.Config.VocabularySize, types.Length);
        // Hugging Face's files of the same tokenizer, written by another path (vocab.json, merges.txt), say what each entry must be.
        tokenizer.Save(folder.Path);
        var vocabulary = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(folder.File("vocab.json")))!;
        Assert.Equal(tokenizer.VocabularySize, vocabulary.Count);
        foreach (var (spelling, id) in vocabulary)
        {
            Assert.Equal(spelling, tokens[id]);
            Assert.Equal(id == endOfText ? 3 : 1, types[id]);   // CONTROL for the special token, NORMAL for the rest
        }

        Assert.Equal("Ġthe", tokens[tokenizer.Encode(" the").Single()]);
        for (int id = tokenizer.VocabularySize; id < model.Config.VocabularySize; id++)
        {
            Assert.Equal($"[PAD{id}]", tokens[id]);
            Assert.Equal(4, types[id]);                         // USER_DEFINED, as the converter pads
        }

        string[] mergeLines = File.ReadAllLines(folder.File("merges.txt")).Skip(1).ToArray();   // after "#version: 0.2"
        Assert.Equal(mergeLines, merges.Cast<string>());
        Assert.Equal((uint)endOfText, file.Metadata["tokenizer.ggml.bos_token_id"]);
        Assert.Equal((uint)endOfText, file.Metadata["tokenizer.ggml.eos_token_id"]);
    }

    [Fact]
    public async Task TensorsHaveLlamaCppsNamesShapesAndTypes()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.Q8_0, folder);
        int v = model.Config.VocabularySize;
        var expected = new Dictionary<string, (ulong[] Dims, uint Type)>
        {
            ["token_embd.weight"] = ([32, (ulong)v], Q8_0),
            ["position_embd.weight"] = ([32, 16], F32),          // the converter keeps the position table in F32
            ["output_norm.weight"] = ([32], F32),
            ["output_norm.bias"] = ([32], F32),
            ["output.weight"] = ([32, (ulong)v], Q8_0),          // the tied head, written out
        };
        for (int i = 0; i < 2; i++)
        {
            expected[$"blk.{i}.attn_norm.weight"] = ([32], F32);
            expected[$"blk.{i}.attn_norm.bias"] = ([32], F32);
            expected[$"blk.{i}.attn_qkv.weight"] = ([32, 96], Q8_0);    // ggml's ne: [in, out]
            expected[$"blk.{i}.attn_qkv.bias"] = ([96], F32);
            expected[$"blk.{i}.attn_output.weight"] = ([32, 32], Q8_0);
            expected[$"blk.{i}.attn_output.bias"] = ([32], F32);
            expected[$"blk.{i}.ffn_norm.weight"] = ([32], F32);
            expected[$"blk.{i}.ffn_norm.bias"] = ([32], F32);
            expected[$"blk.{i}.ffn_up.weight"] = ([32, 128], Q8_0);
            expected[$"blk.{i}.ffn_up.bias"] = ([128], F32);
            expected[$"blk.{i}.ffn_down.weight"] = ([128, 32], Q8_0);
            expected[$"blk.{i}.ffn_down.bias"] = ([32], F32);
        }

        Assert.Equal(expected.Keys.Order(), file.Tensors.Select(t => t.Name).Order());
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(expected[tensor.Name].Dims, tensor.Dims);
            Assert.Equal(expected[tensor.Name].Type, tensor.Type);
        }

        Assert.Equal(7u, file.Metadata["general.file_type"]);
        Assert.Equal(0, file.DataStart % 32);
        // Packed in order, each at the next multiple of 32 after the one before, and the file ends with the last.
        long next = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal((ulong)next, tensor.Offset);
            next = (long)tensor.Offset + GgufFileReader.ByteCount(tensor);
            next = (next + 31) / 32 * 32;
        }

        Assert.Equal(file.DataStart + next, new FileInfo(folder.File("model.gguf")).Length);
    }

    [Fact]
    public async Task F32ValuesAreTheModelsExactlyWithConv1DInLlamaCppsOrientation()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.F32, folder);
        foreach (var p in model.Parameters.Items)
            Assert.Equal(Values(p), file.Floats(file.Tensor(GgufExport.GgufName(p.Name))));
        Assert.Equal(Values(model.TokenEmbedding), file.Floats(file.Tensor("output.weight")));

        // Against the Hugging Face file of the same model: a Conv1D weight is (in, out) there, and the converter transposes it.
        model.Save(folder.Path);
        using var safetensors = SafetensorsFile.Open(folder.File("model.safetensors"));
        var stored = new float[32 * 96];
        safetensors.ReadFloat32("transformer.h.1.attn.c_attn.weight", stored);      // (in 32, out 96)
        var gguf = file.Floats(file.Tensor("blk.1.attn_qkv.weight"));               // ne [32, 96]: 96 rows of 32
        for (int i = 0; i < 32; i++)
            for (int o = 0; o < 96; o++)
                Assert.Equal(stored[i * 96 + o], gguf[o * 32 + i]);
    }

    [Fact]
    public async Task F16ValuesAreTheModelsWithinHalfPrecisionRounding()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.F16, folder);
        foreach (var p in model.Parameters.Items)
        {
            var tensor = file.Tensor(GgufExport.GgufName(p.Name));
            float[] expected = Values(p), actual = file.Floats(tensor);
            bool keptF32 = p.Shape.Rank == 1 || p.Name.StartsWith("wpe", StringComparison.Ordinal);
            Assert.Equal(keptF32 ? F32 : F16, tensor.Type);
            if (keptF32)
            {
                Assert.Equal(expected, actual);
                continue;
            }

            for (int i = 0; i < expected.Length; i++)
            {
                // fp16 keeps 11 significant bits: rounding to nearest moves a normal value by at most 2^-11 of itself; the
                // model's weights (std 0.02) are far above fp16's subnormal range (6e-5) but for a few, which move by at most
                // half the subnormal step 2^-24.
                float bound = MathF.Max(MathF.Abs(expected[i]) * MathF.Pow(2, -11), MathF.Pow(2, -25));
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= bound, $"{tensor.Name}[{i}]: {expected[i]} became {actual[i]}");
                Assert.Equal((float)(Half)expected[i], actual[i]);   // and it is round-to-nearest-even, not truncation
            }
        }
    }

    [Fact]
    public async Task Q8ValuesAreQ8BlocksOutputInLlamaCppsBlockLayout()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.Q8_0, folder);
        foreach (var p in model.Parameters.Items.Where(p => p.Shape.Rank == 2 && !p.Name.StartsWith("wpe", StringComparison.Ordinal)))
        {
            var tensor = file.Tensor(GgufExport.GgufName(p.Name));
            float[] source = Values(p);
            var values = new sbyte[source.Length];
            var scales = new Half[source.Length / 32];
            Q8Blocks.Quantize(source, values, scales);
            var (fileScales, fileValues) = file.Q8Blocks(tensor);
            Assert.Equal(scales, fileScales);
            Assert.Equal(values, fileValues);
            // And the blocks mean the weights: d·q is within half a step (d/2) of each value, plus the rounding of d to fp16.
            for (int i = 0; i < source.Length; i++)
            {
                float d = (float)fileScales[i / 32];
                Assert.True(MathF.Abs(d * fileValues[i] - source[i]) <= d * 0.5f + 127 * d * MathF.Pow(2, -11),
                    $"{tensor.Name}[{i}]: {source[i]} became {d} × {fileValues[i]}");
            }
        }
    }

    [Fact]
    public async Task Q8MatricesWhoseRowsAreNotWholeBlocksFallBackToF16AsTheConverterDoes()
    {
        var (model, tokenizer) = TinyModel(embedding: 24);
        using var _ = model;
        using var folder = new TempFolder();
        var file = await Export(model, tokenizer, GgufType.Q8_0, folder);
        Assert.Equal(F16, file.Tensor("blk.0.attn_qkv.weight").Type);    // rows of 24
        Assert.Equal(F16, file.Tensor("token_embd.weight").Type);
        Assert.Equal(Q8_0, file.Tensor("blk.0.ffn_down.weight").Type);   // rows of 96 = 3 blocks
        Assert.Equal(7u, file.Metadata["general.file_type"]);
    }

    [Fact]
    public async Task ProgressIsReportedOncePerTensorInFileOrder()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var reports = new List<GgufExportProgress>();
        await GgufExport.WriteAsync(model, tokenizer, folder.File("m.gguf"), GgufType.F16, new SyncProgress<GgufExportProgress>(reports.Add));
        var file = new GgufFileReader(File.ReadAllBytes(folder.File("m.gguf")));
        Assert.Equal(file.Tensors.Select(t => t.Name), reports.Select(r => r.Tensor));
        Assert.Equal(Enumerable.Range(1, file.Tensors.Count), reports.Select(r => r.TensorsWritten));
        Assert.All(reports, r => Assert.Equal(file.Tensors.Count, r.TensorCount));
    }
}

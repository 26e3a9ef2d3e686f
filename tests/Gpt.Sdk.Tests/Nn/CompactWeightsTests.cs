using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Generation;
using Gpt.Sdk.Tests.Reference;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Nn;

/// <summary>Models holding bf16 or int8 weights: what converting keeps and frees, decoding with them, files, and what they refuse.</summary>
public sealed class CompactWeightsTests : IDisposable
{
    private static readonly CharTokenizer Chars = new("abcdefghijklmnopqrstuvwxyz .,!?0123456789"[..37]);
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-compact-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(WeightStorage.BFloat16)]
    [InlineData(WeightStorage.Int8)]
    public void ConvertingKeepsTheParameterCountAndFreesTheFp32Matrices(WeightStorage storage)
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 3);
        long vectors = model.Parameters.Items.Where(p => p.Shape.Rank < 2).Sum(p => p.Shape.ElementCount) + model.PositionEmbedding.Shape.ElementCount;
        long count = model.ParameterCount;
        model.ConvertWeights(storage);
        Assert.Equal(storage, model.WeightStorage);
        Assert.Equal(count, model.ParameterCount);
        Assert.Equal(vectors, model.Parameters.Count);       // only the vectors and positions stay in the fp32 buffer
        Assert.False(model.Parameters.Trainable);
        model.ConvertWeights(storage);                        // the current storage: nothing to do
    }

    // bf16: 2 bytes a value; int8: 1 byte a value and a 4-byte (widened) scale per block of 32; vectors stay fp32.
    [Theory]
    [InlineData(WeightStorage.Float32, 4.0)]
    [InlineData(WeightStorage.BFloat16, 2.0)]
    [InlineData(WeightStorage.Int8, 1.125)]
    public void StorageBytesCountTheMatricesInTheirStorage(WeightStorage storage, double bytesPerMatrixValue)
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 3);
        model.ConvertWeights(storage);
        Assert.Contains(model.Parameters.Items, p => p.Shape.Rank == 2 && p != model.PositionEmbedding);
        foreach (var p in model.Parameters.Items)
        {
            bool compact = storage != WeightStorage.Float32 && p.Shape.Rank == 2 && p != model.PositionEmbedding;
            Assert.Equal((long)(p.Shape.ElementCount * (compact ? bytesPerMatrixValue : 4.0)), p.StorageBytes);
        }
    }

    [Theory]
    [InlineData(WeightStorage.BFloat16)]
    [InlineData(WeightStorage.Int8)]
    public async Task CachedDecodingEqualsGreedyRecomputationOnTheSameWeights(WeightStorage storage)
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 21);
        var adapter = TinyModels.AddRandomLoraAdapter(model, "tuned", seed: 5);
        model.ConvertWeights(storage);
        var generator = new Generator(model, Chars);
        int[] prompt = Chars.Encode("compact weights decode");
        foreach (var (name, lora) in new[] { ((string?)null, (LoraAdapter?)null), ("tuned", adapter) })
        {
            // Decoding runs one row at a time through the compact dot products, recomputation runs the whole sequence
            // through the packed GEMM: the same weights, summed in another order.
            var result = await generator.GenerateAsync(prompt, new GenerationOptions { Temperature = 0, MaxTokens = 30, Adapter = name });
            Assert.Equal(30, result.Completions[0].Tokens.Count);
            Assert.Equal(GenerationModels.GreedyByRecomputation(model, prompt, 30, lora), result.Completions[0].TokenIds);
        }
    }

    [Fact]
    public void Bf16ModelSavesAndLoadsBackBitIdentically()
    {
        using var model = GptModel.FromPretrained(TinyFolder, weights: WeightStorage.BFloat16);
        int[] ids = TinyModels.RandomIds(24, model.Config.VocabularySize, seed: 4);
        float[] logits = CompactWeightsParityTests.Logits(model, ids, 2, 12);
        model.Save(_folder);
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(_folder, "config.json")));

        using var again = GptModel.FromPretrained(_folder, weights: WeightStorage.BFloat16);
        Assert.Equal(logits, CompactWeightsParityTests.Logits(again, ids, 2, 12));
        // Read as fp32, the file gives the same values: 24 rows run through the packed GEMM, which expands bf16 panels to
        // exactly those values, so even the logits are the same bits.
        using var asFp32 = GptModel.FromPretrained(_folder);
        Assert.Equal(logits, CompactWeightsParityTests.Logits(asFp32, ids, 2, 12));
    }

    [Fact]
    public void CompactModelsRefuseTrainingMergingAndAnotherConversion()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 3);
        var adapter = model.AddLoraAdapter("a", new LoraConfig { Rank = 2, TargetModules = [LoraConfig.AllLinear] });
        model.ConvertWeights(WeightStorage.Int8);

        Assert.Contains("inference only", Assert.Throws<InvalidOperationException>(() => model.Parameters.Trainable = true).Message);
        Assert.Contains("fp32", Assert.Throws<InvalidOperationException>(() => model.InitializeWeights(1)).Message);
        Assert.Contains("cannot be folded", Assert.Throws<InvalidOperationException>(adapter.Merge).Message);
        Assert.Contains("load the model again", Assert.Throws<InvalidOperationException>(() => model.ConvertWeights(WeightStorage.BFloat16)).Message);

        // Training the adapter needs a gradient through the compact layers: refused at the first forward pass that records one.
        using var tape = new Tape(model.Device);
        int[] ids = TinyModels.RandomIds(16, model.Config.VocabularySize, seed: 1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            model.Loss(tape, ids, ids, 2, 8, new ForwardOptions { Adapter = adapter }));
        Assert.Contains("LoRA adapter on it can be trained", error.Message);
    }

    [Fact]
    public void ImpossibleConversionsAreRefusedBeforeAnythingChanges()
    {
        using var narrow = new GptModel(TinyModels.TwoLayer(), seed: 1);    // 8 wide: no whole blocks of 32
        var error = Assert.Throws<NotSupportedException>(() => narrow.ConvertWeights(WeightStorage.Int8));
        Assert.Contains("multiple of 32", error.Message);
        Assert.Equal(WeightStorage.Float32, narrow.WeightStorage);
        Assert.True(narrow.Parameters.Trainable);
        narrow.ConvertWeights(WeightStorage.BFloat16);                    // bf16 takes any width
        Assert.Throws<ArgumentOutOfRangeException>(() => GptModel.FromPretrained(TinyFolder, weights: (WeightStorage)7));
    }

    [Fact]
    public void AnInt8ModelIsNotSavedAndNothingIsWritten()
    {
        using var model = GptModel.FromPretrained(TinyFolder, weights: WeightStorage.Int8);
        string target = Path.Combine(_folder, "int8");
        var error = Assert.Throws<NotSupportedException>(() => model.Save(target, Chars));
        Assert.Contains("WeightStorage.Int8", error.Message);
        Assert.False(Directory.Exists(target));
        Assert.Throws<NotSupportedException>(() => model.Save(target));
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData(WeightStorage.BFloat16)]
    [InlineData(WeightStorage.Int8)]
    public void ATruncatedOrCorruptBf16FileIsRefusedWithTheFileNamed(WeightStorage storage)
    {
        using (var model = GptModel.FromPretrained(TinyFolder, weights: WeightStorage.BFloat16)) model.Save(_folder);
        string weights = Path.Combine(_folder, "model.safetensors");
        byte[] whole = File.ReadAllBytes(weights);

        File.WriteAllBytes(weights, whole[..(whole.Length - 100)]);
        var truncated = Assert.Throws<ModelFileException>(() => GptModel.FromPretrained(_folder, weights: storage).Dispose());
        Assert.Contains("model.safetensors", truncated.Message);

        byte[] corrupt = (byte[])whole.Clone();
        corrupt[12] = (byte)'!';                                          // inside the JSON header
        File.WriteAllBytes(weights, corrupt);
        Assert.Throws<ModelFileException>(() => GptModel.FromPretrained(_folder, weights: storage).Dispose());
    }

    private static string TinyFolder => Path.Combine(AppContext.BaseDirectory, "Reference", "gpt2_tiny");
}

using Gpt.Sdk.Embeddings;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt.Sdk.Tests.Embeddings;

public sealed class EmbedderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-embed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ABatchEmbedsAsEachTextAloneAndVectorsAreUnitLength()
    {
        using var model = new GptModel(EmbeddingModels.Config(), seed: 2);
        using var head = new EmbeddingHead(EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, EmbeddingModels.Bpe, 5), model.Device, seed: 1);
        using var embedder = new Embedder(model, head, EmbeddingModels.Bpe);
        string[] texts = ["the cat", "a dog ran in the park", "sun"];
        var batch = embedder.Embed(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = embedder.Embed(texts[i]);
            Assert.Equal(5, alone.Vector.Length);
            Assert.Equal(1.0, alone.Vector.Sum(v => (double)v * v), 1e-5);
            for (int k = 0; k < 5; k++) Assert.Equal(alone.Vector[k], batch[i].Vector[k], 1e-5f);
            Assert.False(batch[i].Truncated);
            Assert.Equal(EmbeddingModels.Bpe.Encode(texts[i]).Length, batch[i].TokenCount);
        }
    }

    [Fact]
    public void EmptyTextIsRefusedAndOverlongTextIsTruncatedWithAFlag()
    {
        using var model = new GptModel(EmbeddingModels.Config(context: 8), seed: 2);
        using var embedder = Embedder.WithMeanPooling(model, EmbeddingModels.Bpe);
        var error = Assert.Throws<ArgumentException>(() => embedder.Embed(["fine", ""]));
        Assert.Contains("text 1 is empty", error.Message);
        string longText = string.Join(" ", Enumerable.Repeat("the park is hot", 10));
        var result = embedder.Embed(longText);
        Assert.True(result.Truncated);
        Assert.Equal(8, result.TokenCount);
        var prefix = embedder.Embed(EmbeddingModels.Bpe.Decode(EmbeddingModels.Bpe.Encode(longText).AsSpan(0, 8)));
        for (int k = 0; k < prefix.Vector.Length; k++) Assert.Equal(prefix.Vector[k], result.Vector[k], 1e-5f);
    }

    [Fact]
    public void APretrainedFolderPlusAHeadFolderIsEnough()
    {
        // The base: a model without the delimiters' rows, saved with a tokenizer that lacks them.
        var baseTokenizer = BpeTrainer.Train(["the cat sat on the mat. a dog ran in the park."], new BpeTrainerOptions { VocabularySize = 256 + 10 });
        string baseFolder = Path.Combine(_folder, "base"), headFolder = Path.Combine(_folder, "head");
        using var model = new GptModel(EmbeddingModels.Config() with { VocabularySize = baseTokenizer.VocabularySize }, seed: 4);
        model.Save(baseFolder, baseTokenizer);

        var tokenizer = EmbeddingHead.AddDelimiters(baseTokenizer);
        using var grown = TrunkVocabulary.Grow(model, tokenizer.VocabularySize, 8);
        var adapter = grown.AddLoraAdapter(Embedder.AdapterName, new Gpt.Sdk.Nn.Lora.LoraConfig { Rank = 2, Alpha = 4, TargetModules = [Gpt.Sdk.Nn.Lora.LoraConfig.AllLinear] });
        var random = new Random(3);
        var values = Enumerable.Range(0, adapter.Parameters.Count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        adapter.Parameters.CopyValuesFrom(values);
        var head = new EmbeddingHead(EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, tokenizer, 6), grown.Device, seed: 5);
        using var trained = new Embedder(grown, head, tokenizer, adapter);
        trained.Save(headFolder);

        using var loaded = Embedder.Load(baseFolder, headFolder);
        Assert.NotNull(loaded.Adapter);
        var expected = trained.Embed("the dog sat").Vector;
        var actual = loaded.Embed("the dog sat").Vector;
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 1e-5f);

        // The base alone has no head: mean pooling, unless a head is asked for.
        using var plain = Embedder.Load(baseFolder);
        Assert.Equal(EmbeddingPooling.Mean, plain.Head.Config.Pooling);
        var missing = Assert.Throws<FileNotFoundException>(() => Embedder.Load(baseFolder, baseFolder));
        Assert.Contains("no embedding_head.json", missing.Message);
    }

    [Fact]
    public void AHeadOfAnotherWidthAndATokenizerWithoutDelimitersAreRefused()
    {
        string folder = Path.Combine(_folder, "full");
        using (var model = new GptModel(EmbeddingModels.Config(), seed: 2))
        using (var embedder = new Embedder(model, new EmbeddingHead(EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, EmbeddingModels.Bpe), model.Device), EmbeddingModels.Bpe))
            embedder.Save(folder);

        using var wide = new GptModel(EmbeddingModels.Config() with { EmbeddingSize = 24 }, seed: 2);
        var error = Assert.Throws<ModelFileException>(() => Embedder.FromHead(wide, EmbeddingModels.Bpe, folder));
        Assert.Contains("width 16, but the model is 24 wide", error.Message);

        var plain = BpeTrainer.Train(["the cat sat"], new BpeTrainerOptions { VocabularySize = 256 + 4 });
        var noDelimiters = Assert.Throws<ArgumentException>(() => EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, plain));
        Assert.Contains("AddDelimiters", noDelimiters.Message);
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        File.Delete(Path.Combine(folder, "vocab.json"));
        File.Delete(Path.Combine(folder, "merges.txt"));
        using var model2 = new GptModel(EmbeddingModels.Config(), seed: 2);
        Assert.Throws<ArgumentException>(() => Embedder.FromHead(model2, plain, folder));
    }

    [Fact]
    public async Task TheGeneratorThroughDependencyInjectionUsesTheHeadReportsUsageAndServesConcurrentCalls()
    {
        string folder = Path.Combine(_folder, "served");
        using var model = new GptModel(EmbeddingModels.Config(), seed: 2);
        using (var embedder = new Embedder(model, new EmbeddingHead(EmbeddingHead.ConfigFor(EmbeddingPooling.EndToken, 16, EmbeddingModels.Bpe, 7), model.Device, 3), EmbeddingModels.Bpe))
            embedder.Save(folder);

        var services = new ServiceCollection();
        services.AddGpt(gpt => gpt.FromPretrained(folder).WithEmbeddingHead(folder));
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Equal(7, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.NotNull(generator.GetService<Embedder>());
        string[] texts = ["the cat sat", "rain", "a dog ran in the park"];
        var single = await generator.GenerateAsync(texts);
        Assert.Equal(texts.Sum(t => EmbeddingModels.Bpe.Encode(t).Length), single.Usage!.InputTokenCount);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => generator.GenerateAsync(texts)));
        foreach (var result in concurrent)
            for (int i = 0; i < texts.Length; i++) Assert.Equal(single[i].Vector.ToArray(), result[i].Vector.ToArray());
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["ok", ""]));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["ok"], new EmbeddingGenerationOptions { Dimensions = 3 }));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(texts, cancellationToken: cancelled.Token));
    }
}

using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Nn;

/// <summary>One folder is one model: <see cref="GptModel.Save(string, ITokenizer)"/> writes weights, config and tokenizer,
/// and a folder missing a part is refused with every file name that would have served.</summary>
public sealed class ModelFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-model-folder-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly CharTokenizer Chars = CharTokenizer.FromCorpus("abcdefghij ");

    private static GptModel Model(int vocabulary = 11) =>
        new(new GptConfig { VocabularySize = vocabulary, ContextLength = 8, EmbeddingSize = 8, LayerCount = 1, HeadCount = 2 }, seed: 5);

    private static float[] Weights(GptModel model)
    {
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        return values;
    }

    [Fact]
    public void SaveWithTheTokenizerWritesAFolderThatLoadsBackWhole()
    {
        using var model = Model();
        model.Save(_folder, Chars);
        Assert.Equal(["chars.json", "config.json", "model.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());

        using var loaded = GptModel.FromPretrained(_folder);
        Assert.Equal(Weights(model), Weights(loaded));
        var tokenizer = Assert.IsType<CharTokenizer>(TokenizerFiles.Load(_folder));
        Assert.Equal(Chars.Alphabet, tokenizer.Alphabet);
    }

    [Fact]
    public void ABpeTokenizerSavedOverACharacterModelReplacesItsAlphabet()
    {
        var bpe = BpeTrainer.Train([string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 20))], new BpeTrainerOptions { VocabularySize = 262 });
        using (var chars = Model()) chars.Save(_folder, Chars);
        using var model = Model(bpe.VocabularySize);
        model.Save(_folder, bpe);

        // chars.json would be opened first: the save takes it away, so the folder opens as what was written last.
        Assert.False(File.Exists(Path.Combine(_folder, CharTokenizer.FileName)));
        var loaded = Assert.IsType<BpeTokenizer>(TokenizerFiles.Load(_folder));
        Assert.Equal(bpe.Encode("the cat sat"), loaded.Encode("the cat sat"));
    }

    [Fact]
    public void ATokenizerThatCannotBeSavedOrDoesNotFitIsRefusedBeforeAnythingIsWritten()
    {
        using var model = Model();
        string target = Path.Combine(_folder, "out");

        var unsaveable = Assert.Throws<NotSupportedException>(() => model.Save(target, new OpaqueTokenizer()));
        Assert.Contains(nameof(OpaqueTokenizer), unsaveable.Message);
        Assert.Contains("GptModel.Save(folder)", unsaveable.Message);

        var tooBig = Assert.Throws<ArgumentException>(() => model.Save(target, CharTokenizer.FromCorpus("abcdefghijklmnop")));
        Assert.Contains("16 tokens but the model's vocabulary is 11", tooBig.Message);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void AFolderWithoutATokenizerNamesEveryFileThatWouldHaveServed()
    {
        using (var model = Model()) model.Save(_folder);
        var error = Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(_folder));
        foreach (string name in (string[])["chars.json", "tokenizer.json", "vocab.json + merges.txt", "encoder.json + vocab.bpe", "*.tiktoken"])
            Assert.Contains(name, error.Message);
        Assert.Contains("GptModel.Save(folder, tokenizer)", error.Message);

        // BpeTokenizer's own loader points at the character tokenizer's file too.
        Assert.Contains("chars.json", Assert.Throws<FileNotFoundException>(() => BpeTokenizer.FromPretrained(_folder)).Message);
    }

    [Fact]
    public async Task AFolderHoldingOnlyACheckpointSaysItIsNotAModel()
    {
        Assert.Equal(Checkpoint.FileName, GptModelFiles.CheckpointFileName);
        using var model = Model();
        var options = new TrainingOptions { BatchSize = 1, SequenceLength = 4, MaxSteps = 1, CheckpointDirectory = _folder };
        using var data = TokenDataset.FromTokens([1, 2, 3, 4, 5, 6, 7, 8]);
        using (var trainer = new Trainer(model, data, null, options)) await trainer.RunAsync();

        var error = Assert.Throws<FileNotFoundException>(() => GptModel.FromPretrained(_folder));
        Assert.Contains("no model.safetensors", error.Message);
        Assert.Contains("training checkpoint (checkpoint.safetensors)", error.Message);
        Assert.Contains("GptModel.Save(folder, tokenizer)", error.Message);
        Assert.Equal(2, GptModelFiles.Missing(_folder).Count());
    }

    [Fact]
    public async Task AFullFineTuneWithATokenizerItCannotSaveIsRefusedBeforeTraining()
    {
        using var model = Model();
        string output = Path.Combine(_folder, "out");
        var run = FineTune.For(model, new OpaqueTokenizer()).OnSftData([new PromptCompletionExample("ab", "c")])
            .WithOptions(o => o with { SequenceLength = 8, BatchSize = 1, MaxSteps = 1 }).SaveTo(output);
        await Assert.ThrowsAsync<NotSupportedException>(() => run.RunAsync());
        Assert.False(Directory.Exists(output));
    }

    /// <summary>A tokenizer of the app's own, with no file format in the SDK.</summary>
    private sealed class OpaqueTokenizer : ITokenizer
    {
        public int VocabularySize => Chars.VocabularySize;

        public int[] Encode(string text) => Chars.Encode(text);

        public string Decode(ReadOnlySpan<int> ids) => Chars.Decode(ids);
    }
}

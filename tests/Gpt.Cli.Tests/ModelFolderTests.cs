using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt.Cli.Tests;

/// <summary>
/// One folder is one model: a folder written by each saver — <see cref="GptModel.Save(string, ITokenizer)"/>, <c>gpt train</c>
/// and a full fine-tune's final save (<see cref="FineTune.SaveTo"/>) — opens in each loader: <see cref="GptModel.FromPretrained"/>
/// with <see cref="TokenizerFiles.Load"/>, <c>AddGpt(gpt => gpt.FromPretrained(folder))</c>, <c>gpt chat</c>, and
/// <c>gpt generate</c> and <c>gpt eval</c>.
/// The models are tiny and barely trained: what is checked is that every pair fits, not what the model says.
/// </summary>
public sealed class ModelFolderTests(ModelFolderTests.SavedModels saved) : IClassFixture<ModelFolderTests.SavedModels>
{
    public const string ModelSave = "model.Save", GptTrain = "gpt train", FineTuneSave = "FineTune.SaveTo";

    public static TheoryData<string> Savers => [ModelSave, GptTrain, FineTuneSave];

    [Theory]
    [MemberData(nameof(Savers))]
    public async Task LoadsThroughFromPretrained(string saver)
    {
        var folder = saved[saver];
        using var model = GptModel.FromPretrained(folder.Path);
        var tokenizer = TokenizerFiles.Load(folder.Path);
        Assert.IsType(folder.TokenizerType, tokenizer);
        Assert.True(tokenizer.VocabularySize <= model.Config.VocabularySize);
        if (folder.Weights is { } weights) Assert.Equal(weights, Weights(model));

        var reply = await new Generator(model, tokenizer).ChatAsync([new ChatTurn(ChatSpeaker.User, "hi")], new GenerationOptions { MaxTokens = 3, Seed = 1 });
        Assert.InRange(reply.Usage.CompletionTokens, 1, 3);
    }

    [Theory]
    [MemberData(nameof(Savers))]
    public async Task LoadsThroughAddGpt(string saver)
    {
        var folder = saved[saver];
        var services = new ServiceCollection();
        services.AddGpt(gpt => gpt.FromPretrained(folder.Path).WithDefaults(o => o with { MaxTokens = 3, Seed = 1 }));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var chat = provider.GetRequiredService<IChatClient>();
        var response = await chat.GetResponseAsync("hi");
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.NotNull(response.FinishReason);
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 1, 3);
        Assert.Equal(Path.GetFileName(folder.Path), response.ModelId);
        Assert.IsType(folder.TokenizerType, chat.GetService<ITokenizer>());
    }

    [Theory]
    [MemberData(nameof(Savers))]
    public void LoadsThroughGptChat(string saver)
    {
        var result = GptProcess.RunWithInput("hi\n/exit\n", "chat", "--model", saved[saver].Path, "--max-tokens", "3", "--seed", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("chatting with", result.Stderr);
        Assert.Contains("assistant> ", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Savers))]
    public void LoadsThroughGptGenerateAndGptEval(string saver)
    {
        string model = saved[saver].Path;
        var generated = GptProcess.Run("generate", "--model", model, "--prompt", "User: hi", "--max-tokens", "3", "--seed", "1");
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.StartsWith("User: hi", generated.Stdout);

        string text = saved.NewFolder($"eval-{saver.Replace(' ', '-')}.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("User: hi there\n\nAssistant: hello, the cat sat.\n\n", 4)));
        var evaluated = GptProcess.Run("eval", "--model", model, "--text", text);
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.Contains("\"perplexity\"", evaluated.Stdout);
    }

    [Fact]
    public void ChatOnAFolderWithoutATokenizerNamesEveryFileThatWouldHaveServed()
    {
        string weightsOnly = saved.NewFolder("weights-only");
        using (var model = new GptModel(SavedModels.CharConfig(SavedModels.Printable.VocabularySize), seed: 2)) model.Save(weightsOnly);
        var result = GptProcess.RunWithInput("hi\n/exit\n", "chat", "--model", weightsOnly);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: no tokenizer in", result.Stderr);
        foreach (string name in (string[])["chars.json", "tokenizer.json", "vocab.json + merges.txt", "encoder.json + vocab.bpe", "*.tiktoken"])
            Assert.Contains(name, result.Stderr);
    }

    private static float[] Weights(GptModel model)
    {
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        return values;
    }

    /// <summary>A model folder and what its saver knows it holds.</summary>
    /// <param name="Path">The folder.</param>
    /// <param name="TokenizerType">The tokenizer saved with it.</param>
    /// <param name="Weights">The saved weights when the saver ran in this process; null for <c>gpt train</c>.</param>
    public sealed record SavedFolder(string Path, Type TokenizerType, float[]? Weights);

    /// <summary>One folder per saver, written once, on first use, and deleted after the class.</summary>
    public sealed class SavedModels : IDisposable
    {
        private const string Chat = "System: be kind\n\nUser: hi there\n\nAssistant: hello, the cat sat.\n\n";

        private readonly string _root = Directory.CreateTempSubdirectory("gpt-model-folders-").FullName;
        private readonly Dictionary<string, Lazy<SavedFolder>> _folders;

        public SavedModels() => _folders = new()
        {
            [ModelSave] = new(SaveModel),
            [GptTrain] = new(Train),
            [FineTuneSave] = new(FineTuneFully),
        };

        /// <summary>Every printable ASCII character and the newline: the character tokenizer of the model.Save folder.</summary>
        public static CharTokenizer Printable { get; } = new(new string(Enumerable.Range(32, 95).Select(c => (char)c).Prepend('\n').ToArray()));

        public SavedFolder this[string saver] => _folders[saver].Value;

        public static GptConfig CharConfig(int vocabulary) =>
            new() { VocabularySize = vocabulary, ContextLength = 64, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };

        public string NewFolder(string name) => Path.Combine(_root, name);

        public void Dispose() => Directory.Delete(_root, recursive: true);

        // The README's path: a character model, saved with its tokenizer.
        private SavedFolder SaveModel()
        {
            string folder = NewFolder("saved");
            using var model = new GptModel(CharConfig(Printable.VocabularySize), seed: 1);
            model.Save(folder, Printable);
            return new SavedFolder(folder, typeof(CharTokenizer), Weights(model));
        }

        private SavedFolder Train()
        {
            string data = NewFolder("data.txt"), folder = NewFolder("trained");
            File.WriteAllText(data, string.Concat(Enumerable.Repeat(Chat, 20)));
            var result = GptProcess.Run("train", "--data", data, "--out", folder, "--steps", "2", "--layers", "1", "--heads", "2",
                "--width", "16", "--context", "64", "--batch", "2", "--eval-interval", "0");
            Assert.True(result.ExitCode == 0, result.Stderr);
            return new SavedFolder(folder, typeof(CharTokenizer), null);
        }

        // The other tokenizer kind: byte-level BPE with ChatML's tokens, so the folder chats in ChatML.
        private SavedFolder FineTuneFully()
        {
            string folder = NewFolder("fine-tuned");
            var bpe = BpeTrainer.Train([string.Concat(Enumerable.Repeat(Chat, 20))], new BpeTrainerOptions
            {
                VocabularySize = 300,
                SpecialTokens = [WellKnownSpecialTokens.EndOfText, WellKnownSpecialTokens.MessageStart, WellKnownSpecialTokens.MessageEnd],
            });
            using var model = new GptModel(CharConfig(bpe.VocabularySize), seed: 1);
            var examples = Enumerable.Range(0, 8).Select(i => new ChatExample(
                [new ChatTurn(ChatSpeaker.User, $"hi {i}"), new ChatTurn(ChatSpeaker.Assistant, "hello, the cat sat.")]));
            FineTune.For(model, bpe).OnSftData(examples)
                .WithOptions(o => o with { SequenceLength = 32, BatchSize = 2, MaxSteps = 2, WarmupSteps = 0, EvalInterval = 0 })
                .SaveTo(folder).RunAsync().GetAwaiter().GetResult();
            return new SavedFolder(folder, typeof(BpeTokenizer), Weights(model));
        }
    }
}

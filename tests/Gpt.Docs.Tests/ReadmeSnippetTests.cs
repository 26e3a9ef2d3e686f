using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Docs.Tests;

/// <summary>
/// Every C# block of the README and of the package READMEs, read as one program per file, compiles and runs as
/// written, in a folder holding what the snippets open: <c>input.txt</c>, a small GPT-2 folder at <c>models/gpt2</c>
/// (random weights, a byte-level BPE with the chat tokens) and <c>support.jsonl</c>.
/// </summary>
public sealed class ReadmeSnippetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-docs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Documents => new() { "README.md", "Gpt.Sdk/README.md" };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task EverySnippetCompilesAndRunsAsWritten(string document)
    {
        var blocks = Snippets.Blocks(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", document)));
        Assert.NotEmpty(blocks);
        var (image, errors) = Snippets.Compile(blocks, Path.GetFileNameWithoutExtension(document.Replace('/', '.')));
        Assert.True(image is not null, $"{document}'s snippets do not compile:\n{string.Join("\n", errors)}");
        WriteFixtures(_folder);
        string output = await SnippetRunner.RunAsync(image!, _folder, TimeSpan.FromMinutes(3));
        Assert.False(string.IsNullOrWhiteSpace(output), $"{document}'s snippets ran but printed nothing.");
    }

    // The check is not vacuous: a snippet that calls what the SDK does not have is refused.
    [Fact]
    public void ASnippetCallingAMissingMethodFailsToCompile()
    {
        var (image, errors) = Snippets.Compile(["using Gpt.Sdk.Nn;\nvar model = GptModel.FromPretrainedFolder(\"x\");"], "Broken");
        Assert.Null(image);
        Assert.Contains(errors, e => e.Contains("FromPretrainedFolder", StringComparison.Ordinal));
    }

    [Fact]
    public void BlocksAreReadInOrderAndOnlyCSharpOnes()
    {
        var blocks = Snippets.Blocks("text\n```csharp\nvar a = 1;\n```\n```bash\nls\n```\n```csharp\nConsole.WriteLine(a);\n```\n");
        Assert.Equal(["var a = 1;\n", "Console.WriteLine(a);\n"], blocks);
    }

    private static void WriteFixtures(string folder)
    {
        // A text with every character the walk-through's prompts, chat layout and fine-tuning data use.
        var random = new Random(1);
        string[] lines =
        [
            "ROMEO: to be or not to be, that is the question!", "User: How do I reset my password?",
            "Assistant: Open Settings, then Security.", "System: whether tis nobler in the mind to suffer.", "Hello!",
        ];
        string text = string.Join("\n", Enumerable.Range(0, 3000).Select(_ => lines[random.Next(lines.Length)])) + "\n";
        File.WriteAllText(Path.Combine(folder, "input.txt"), text);

        var tokenizer = ChatTemplate.AddChatTokens(BpeTrainer.Train([text, "User: Assistant: System: How do I reset my password?"],
            new BpeTrainerOptions { VocabularySize = 256 + 40 + 1 }));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 64, EmbeddingSize = 32, LayerCount = 2, HeadCount = 2 };
        string gpt2 = Path.Combine(folder, "models", "gpt2");
        using (var model = new GptModel(config, seed: 1)) model.Save(gpt2);
        tokenizer.Save(gpt2);

        File.WriteAllLines(Path.Combine(folder, "support.jsonl"), Enumerable.Range(0, 12).Select(i =>
            $$"""{"messages": [{"role": "user", "content": "How do I reset my password?{{new string('!', i % 3)}}"}, {"role": "assistant", "content": "Open Settings, then Security."}]}"""));
    }
}

using Gpt.Sdk.Generation;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Sft;

/// <summary>Bad data is refused whole, with the file, the line and what to do; overlong examples are skipped or refused.</summary>
public sealed class SftDataErrorTests
{
    private const string Good = """{"prompt": "Q", "completion": " A"}""";
    private static readonly SftDataOptions Options = new() { SequenceLength = 64 };

    [Theory]
    [InlineData("""{"prompt": "Q", "completion": " A",""", "not valid JSON")]
    [InlineData("""["prompt", "completion"]""", "found a JSON array, not an object")]
    [InlineData("""{"text": "hello"}""", "matches no format (its fields: \"text\")")]
    [InlineData("""{"prompt": "Q", "completion": " A", "messages": []}""", "more than one format (prompt/completion and messages)")]
    [InlineData("""{"prompt": "Q"}""", "the field \"completion\" is missing")]
    [InlineData("""{"prompt": "Q", "completion": 4}""", "the field \"completion\" is a JSON number; it must be a string")]
    [InlineData("""{"input": "x", "instruction": null, "output": "y"}""", "the field \"instruction\" is a JSON null")]
    [InlineData("""{"messages": {"role": "user"}}""", "\"messages\" is a JSON object; it must be an array")]
    [InlineData("""{"messages": ["hi"]}""", "message 1 is a JSON string")]
    [InlineData("""{"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]}""", "message 2 has role \"tool\"")]
    [InlineData("""{"messages": [{"content": "a"}]}""", "message 1: the field \"role\" is missing")]
    [InlineData("""{"messages": [{"role": "assistant", "content": null, "tool_calls": []}]}""", "message 1: the field \"content\" is a JSON null")]
    [InlineData("""{"messages": [{"role": "user", "content": "a"}]}""", "no assistant message")]
    [InlineData("""{"messages": []}""", "no assistant message")]
    [InlineData("""{"messages": [{"role": "user", "content": "a", "weight": 0}, {"role": "assistant", "content": "b"}]}""", "only assistant messages carry one")]
    [InlineData("""{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": 2}]}""", "has weight 2")]
    [InlineData("""{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": 0}]}""", "no token carries loss")]
    [InlineData("""{"prompt": "Q", "completion": ""}""", "no token carries loss")]
    [InlineData("""{"prompt": "Q", "completion": " caf\u00e9"}""", "the tokenizer cannot encode the completion")]
    public void BadLinesAreRefusedWithFileAndLine(string badLine, string problem)
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, Good, "", badLine, Good);
        var error = Assert.Throws<TrainingDataException>(() => SftDataset.Load(path, Chars, Options));
        Assert.StartsWith($"{path}:3: ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Equal(path, error.FileName);
        Assert.Equal(3, error.LineNumber);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    public void AFileWithoutExamplesIsRefused(string content)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "empty.jsonl");
        File.WriteAllText(path, content);
        var error = Assert.Throws<TrainingDataException>(() => SftDataset.Load(path, Chars, Options));
        Assert.StartsWith($"{path}: there are no examples", error.Message);
        Assert.Null(error.LineNumber);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SftDataset.Load("/nonexistent/sft.jsonl", Chars, Options));
        Assert.Contains("/nonexistent/sft.jsonl", error.Message);
    }

    [Fact]
    public void InMemoryProblemsNameTheExample()
    {
        SftExample[] examples =
        [
            new PromptCompletionExample("Q", " A"),
            new ChatExample([new(ChatSpeaker.User, "Hi")]),
        ];
        var error = Assert.Throws<TrainingDataException>(() => SftDataset.FromExamples(examples, Chars, Options));
        Assert.StartsWith("example 2: the conversation has no assistant message", error.Message);
        Assert.Null(error.FileName);

        var nullCompletion = Assert.Throws<TrainingDataException>(() => SftDataset.FromExamples([new PromptCompletionExample("Q", null!)], Chars, Options));
        Assert.StartsWith("example 1: the completion is null", nullCompletion.Message);
    }

    [Fact]
    public void ChatMlWithoutChatTokensIsAnOptionsError()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SftDataset.FromExamples([new PromptCompletionExample("Q", " A")], Chars, Options with { ChatTemplate = ChatTemplate.ChatMl }));
        Assert.Contains("AddChatTokens", error.Message);
    }

    [Fact]
    public void TokensOutsideTheModelsVocabularyAreRefused()
    {
        // A model whose vocabulary stops just below the end token (which the completion ends with).
        int end = ChatBpe.SpecialTokens[WellKnownSpecialTokens.EndOfText];
        var error = Assert.Throws<TrainingDataException>(() =>
            SftDataset.FromExamples([new PromptCompletionExample("Q", " A")], ChatBpe, Options with { VocabularySize = end }));
        Assert.Contains($"has id {end}, outside the model's vocabulary of {end} ids", error.Message);
    }

    // Prompt "Q" + completion of k characters = k + 1 tokens = k input/target pairs with the character tokenizer.
    private static string OfPairs(int pairs) => $$"""{"prompt": "Q", "completion": "{{new string('a', pairs)}}"}""";

    [Fact]
    public void OverlongExamplesAreSkippedAndReported()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, OfPairs(8), OfPairs(9), OfPairs(3), "", OfPairs(20));
        var dataset = SftDataset.Load(path, Chars, new SftDataOptions { SequenceLength = 8 });
        Assert.Equal(2, dataset.Count);                       // n − 1 = 8 = T fits exactly
        Assert.Equal([9, 4], dataset.Examples.Select(e => e.Tokens.Length));
        Assert.Equal(2, dataset.SkippedCount);
        Assert.Equal([2, 5], dataset.SkippedLines);
    }

    [Fact]
    public void OverlongExamplesAreRefusedWhenAsked()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, OfPairs(8), OfPairs(9));
        var error = Assert.Throws<TrainingDataException>(() =>
            SftDataset.Load(path, Chars, new SftDataOptions { SequenceLength = 8, OverlongExamples = OverlongExampleHandling.Refuse }));
        Assert.StartsWith($"{path}:2: the example is 10 tokens, 9 input/target pairs, more than the sequence length of 8", error.Message);
    }

    [Fact]
    public void AllExamplesSkippedIsRefused()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, OfPairs(9), OfPairs(10));
        var error = Assert.Throws<TrainingDataException>(() => SftDataset.Load(path, Chars, new SftDataOptions { SequenceLength = 8 }));
        Assert.Contains("all 2 examples are longer than the sequence length of 8", error.Message);
    }

    [Fact]
    public void TokenizedExamplesAreChecked()
    {
        Assert.Throws<ArgumentException>(() => new TokenizedExample([1, 2], [false]));
        Assert.Throws<ArgumentException>(() => new TokenizedExample([1], [true]));
        Assert.Contains("no target that carries loss",
            Assert.Throws<ArgumentException>(() => new SftDataset([new TokenizedExample([1, 2, 3], [true, false, false])], 8)).Message);
        Assert.Contains("more than the sequence length of 2",
            Assert.Throws<ArgumentException>(() => new SftDataset([new TokenizedExample([1, 2, 3, 4], [false, true, true, true])], 2)).Message);
        Assert.Throws<ArgumentException>(() => new SftDataset([], 8));
    }
}

using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Preference;

/// <summary>Preference files: both formats, ranked lists expanded to every pair of one group, bad lines refused whole with
/// file and line, overlong lines skipped or refused, and a split by prompt.</summary>
public sealed class PreferenceDatasetTests
{
    private const string Good = """{"prompt": "Q:", "chosen": " yes", "rejected": " no"}""";
    private static readonly PreferenceDataOptions Options = new() { SequenceLength = 32 };

    [Fact]
    public void APairIsOneGroupOfOnePairWithTheEndToken()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, Good);
        var data = PreferenceDataset.Load(path, ChatBpe, Options);
        var pair = Assert.Single(data.Pairs);
        Assert.Equal(ChatBpe.Encode("Q:"), pair.Prompt);
        int end = ChatBpe.SpecialTokens["<|endoftext|>"];
        Assert.Equal([.. ChatBpe.Encode(" yes"), end], pair.Chosen);
        Assert.Equal([.. ChatBpe.Encode(" no"), end], pair.Rejected);
        Assert.Single(data.Groups);
    }

    [Fact]
    public void ARankedListTrainsAllItsPairsInOneGroupBestFirst()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, Good, """{"prompt": "P", "responses": ["a", "b", "c", "d"], "id": 7}""");
        var data = PreferenceDataset.Load(path, Chars, Options);
        Assert.Equal(1 + 6, data.Count);
        Assert.Equal(2, data.Groups.Count);
        var ranked = data.Groups[1];
        Assert.Equal(6, ranked.Count);
        Assert.All(ranked, p => Assert.Equal(1, p.Group));
        string[] pairs = [.. ranked.Select(p => Chars.Decode(p.Chosen) + ">" + Chars.Decode(p.Rejected))];
        Assert.Equal(["a>b", "a>c", "a>d", "b>c", "b>d", "c>d"], pairs);
    }

    [Theory]
    [InlineData("""{"prompt": "Q", "chosen": " same", "rejected": " same"}""", "the chosen and rejected responses are the same text")]
    [InlineData("""{"prompt": "Q", "chosen": "", "rejected": " no"}""", "the chosen response is empty")]
    [InlineData("""{"prompt": "Q", "chosen": " yes", "rejected": ""}""", "the rejected response is empty")]
    [InlineData("""{"prompt": "Q", "responses": ["a", "", "c"]}""", "response 2 is empty")]
    [InlineData("""{"prompt": "Q", "responses": ["a", "b", "a"]}""", "responses 1 and 3 are the same text")]
    [InlineData("""{"prompt": "Q", "responses": ["a"]}""", "there is 1 response; a preference needs at least two")]
    [InlineData("""{"prompt": "Q", "responses": "a"}""", "\"responses\" is a JSON string")]
    [InlineData("""{"prompt": "Q", "responses": ["a", 3]}""", "response 2 is a JSON number")]
    [InlineData("""{"prompt": "Q", "chosen": " a", "rejected": " b", "responses": ["a", "b"]}""", "ambiguous")]
    [InlineData("""{"prompt": "Q", "chosen": " a"}""", "the field \"rejected\" is missing")]
    [InlineData("""{"chosen": " a", "rejected": " b"}""", "the field \"prompt\" is missing")]
    [InlineData("""{"prompt": "Q", "chosen": [{"role": "assistant", "content": "a"}], "rejected": " b"}""", "conversational format")]
    [InlineData("""{"text": "hello"}""", "matches no format (its fields: \"text\")")]
    [InlineData("""{"prompt": "Q", "chosen": " a",""", "not valid JSON")]
    [InlineData("""{"prompt": "Q", "chosen": " caf\u00e9", "rejected": " b"}""", "the chosen response cannot be tokenized")]
    public void BadLinesAreRefusedWithFileAndLine(string badLine, string problem)
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, Good, "", badLine, Good);
        var error = Assert.Throws<TrainingDataException>(() => PreferenceDataset.Load(path, Chars, Options));
        Assert.StartsWith($"{path}:3: ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Equal(3, error.LineNumber);
    }

    [Fact]
    public void InMemoryExamplesAreNamedByNumber()
    {
        var error = Assert.Throws<TrainingDataException>(() => PreferenceDataset.FromExamples(
            [PreferenceExample.Pair("Q", " a", " b"), PreferenceExample.Pair("Q", " a", " a")], Chars, Options));
        Assert.StartsWith("example 2: the chosen and rejected responses are the same text", error.Message);
    }

    [Fact]
    public void OverlongLinesAreSkippedAndListedOrRefused()
    {
        using var folder = new TempFolder();
        string longResponse = " " + new string('x', 40);
        string path = WriteJsonl(folder.Path, Good, $$"""{"prompt": "Q", "responses": ["a", "{{longResponse}}"]}""", Good);
        var data = PreferenceDataset.Load(path, Chars, Options);
        Assert.Equal(2, data.Count);
        Assert.Equal([2], data.SkippedLines);

        var error = Assert.Throws<TrainingDataException>(() =>
            PreferenceDataset.Load(path, Chars, Options with { OverlongExamples = OverlongExampleHandling.Refuse }));
        Assert.StartsWith($"{path}:2: the prompt and its longest response are 42 tokens, more than the sequence length of 32", error.Message);

        string allLong = WriteJsonl(folder.Path, $$"""{"prompt": "Q", "chosen": "{{longResponse}}", "rejected": "b"}""");
        Assert.Contains("every one of the 1 preferences is longer", Assert.Throws<TrainingDataException>(() => PreferenceDataset.Load(allLong, Chars, Options)).Message);
    }

    [Fact]
    public void TheSplitIsByPromptAndSeeded()
    {
        var examples = Enumerable.Range(0, 20).Select(i => new PreferenceExample($"P{i}", ["a", "b", "c"]));
        var data = PreferenceDataset.FromExamples(examples, Chars, Options);
        var (train, heldOut) = data.Split(0.25, seed: 3);
        Assert.Equal(15, train.Groups.Count);
        Assert.Equal(5, heldOut.Groups.Count);
        Assert.All(heldOut.Groups, g => Assert.Equal(3, g.Count));
        var prompts = (PreferenceDataset d) => d.Groups.Select(g => Chars.Decode(g[0].Prompt)).ToHashSet();
        Assert.Empty(prompts(train).Intersect(prompts(heldOut)));
        Assert.Equal(prompts(heldOut), prompts(data.Split(0.25, seed: 3).HeldOut));
        Assert.NotEqual(prompts(heldOut), prompts(data.Split(0.25, seed: 4).HeldOut));
        Assert.Throws<InvalidOperationException>(() => PreferenceDataset.FromExamples([PreferenceExample.Pair("Q", "a", "b")], Chars, Options).Split(0.5, 1));
    }

    [Fact]
    public void TokenizedPairsAreChecked()
    {
        Assert.Contains("the same tokens", Assert.Throws<ArgumentException>(() => new TokenizedPreference([1], [2, 3], [2, 3])).Message);
        Assert.Throws<ArgumentException>(() => new TokenizedPreference([1], [], [2]));
        Assert.Throws<ArgumentException>(() => new TokenizedPreference([1], [-2], [2]));
        Assert.Throws<ArgumentException>(() => new PreferenceDataset([new TokenizedPreference([1, 2, 3], [4], [5])], sequenceLength: 3));
    }
}

using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

public sealed class MultipleChoiceDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-mc-data-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadsItemsSkippingBlankLinesAndExtraFields()
    {
        string path = Write("{\"context\": \"2 + 2 =\", \"choices\": [\"3\", \"4\"], \"answer\": 1, \"id\": \"q1\"}\n\n{\"context\": \"Sky:\", \"choices\": [\"blue\"], \"answer\": 0}\n");

        var items = MultipleChoiceData.Read(path);

        Assert.Equal(2, items.Count);
        Assert.Equal("2 + 2 =", items[0].Context);
        Assert.Equal(["3", "4"], items[0].Choices);
        Assert.Equal(1, items[0].Answer);
        Assert.Equal("blue", items[1].Choices[0]);
    }

    [Theory]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\"], \"answer\": 0", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"choices\": [\"x\"], \"answer\": 0}", "missing field \"context\"")]
    [InlineData("{\"context\": \"a\", \"answer\": 0}", "missing field \"choices\"")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\"]}", "missing field \"answer\"")]
    [InlineData("{\"context\": \"a\", \"choices\": [], \"answer\": 0}", "\"choices\" is empty")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\", 3], \"answer\": 0}", "must hold strings")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\", \"y\"], \"answer\": 2}", "\"answer\" 2 is out of range")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\", \"y\"], \"answer\": -1}", "\"answer\" -1 is out of range")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\", \"y\"], \"answer\": 0.5}", "whole number")]
    [InlineData("{\"context\": \"a\", \"choices\": [\"x\", \"y\"], \"answer\": \"0\"}", "\"answer\" must be a number")]
    public void RefusesABadLineNamingTheFileAndLine(string badLine, string message)
    {
        // The bad line is the third of the file, after a good one and a blank one: the number counts every line.
        string path = Write("{\"context\": \"ok\", \"choices\": [\"y\"], \"answer\": 0}\n\n" + badLine + "\n");

        var error = Assert.Throws<InvalidDataException>(() => MultipleChoiceData.Read(path));

        Assert.StartsWith($"{path}:3: ", error.Message);
        Assert.Contains(message, error.Message);
    }

    private string Write(string text)
    {
        string path = Path.Combine(_folder, "items.jsonl");
        File.WriteAllText(path, text);
        return path;
    }
}

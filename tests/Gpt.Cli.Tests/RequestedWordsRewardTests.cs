using Gpt.Cli.Rewards;

namespace Gpt.Cli.Tests;

public sealed class RequestedWordsRewardTests
{
    private const string Prompt = "Use the words cat and boat:\n";

    [Theory]
    [InlineData("the red cat sees a small boat .", 1f)]
    [InlineData("a boat likes the cat .\n", 1f)]
    [InlineData("the red cat sees a small dog .", 0.5f)]
    [InlineData("the Boat. holds a cup", 0.5f)]
    [InlineData("the dog sees a small cup .", 0f)]
    [InlineData("the cats see boats .", 0f)]
    [InlineData("the cat sees the cat .", 0.5f)]
    [InlineData("", 0f)]
    public void ScoresTheShareOfRequestedWordsUsed(string response, float expected) =>
        Assert.Equal(expected, RequestedWordsReward.ScoreOne(Prompt, response));

    [Fact]
    public void OnlyTheFirstLineIsTheAnswer() =>
        Assert.Equal(0.5f, RequestedWordsReward.ScoreOne(Prompt, "the cat sees a dog .\nthe boat sees a cup ."));

    [Fact]
    public void ReadsPromptsOfOneToManyWords()
    {
        Assert.Equal(["cat"], RequestedWordsPrompt.TryParse("Use the word cat:\n"));
        Assert.Equal(["cat", "boat"], RequestedWordsPrompt.TryParse(Prompt));
        Assert.Equal(["cat", "boat", "cup"], RequestedWordsPrompt.TryParse("Use the words cat, boat and cup:\n"));
        foreach (var words in new[] { new[] { "hat" }, ["hat", "cup"], ["a", "b", "c", "d"] })
            Assert.Equal(words, RequestedWordsPrompt.TryParse(RequestedWordsPrompt.Format(words)));
        Assert.Equal(1f / 3, RequestedWordsReward.ScoreOne("Use the words cat, boat and cup:\n", "the cup ."), 6);
    }

    [Theory]
    [InlineData("Write a sentence:\n")]
    [InlineData("Use the words cat:\n")]
    [InlineData("Use the word cat and boat:\n")]
    [InlineData("")]
    public void APromptThatAsksForNoWordScoresNaNSoPpoSkipsIt(string prompt)
    {
        Assert.Null(RequestedWordsPrompt.TryParse(prompt));
        Assert.True(float.IsNaN(RequestedWordsReward.ScoreOne(prompt, "the cat sees a boat .")));
    }

    [Fact]
    public void ScoresABatchAndRefusesMismatchedCounts()
    {
        var reward = new RequestedWordsReward();
        Assert.Equal([1f, 0f], reward.Score([Prompt, Prompt], ["cat boat", "dog"]));
        var error = Assert.Throws<ArgumentException>(() => reward.Score([Prompt, Prompt], ["cat"]));
        Assert.Contains("one response per prompt", error.Message);
    }

    [Fact]
    public void IsRegisteredByName()
    {
        Assert.Contains(RequestedWordsReward.Name, BuiltInRewards.Names);
        Assert.IsType<RequestedWordsReward>(BuiltInRewards.Get("requested-words"));
        var error = Assert.Throws<ArgumentException>(() => BuiltInRewards.Get("no-such-reward"));
        Assert.Contains("requested-words", error.Message);
    }
}

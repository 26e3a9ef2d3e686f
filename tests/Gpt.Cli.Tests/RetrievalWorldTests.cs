using System.Text.RegularExpressions;
using Gpt.Cli.Commands.Bench;

namespace Gpt.Cli.Tests;

/// <summary>The world of <c>gpt bench retrieval</c> is seeded, held out by person, and each question has one answer; recall
/// counts ties against the retriever.</summary>
public sealed class RetrievalWorldTests
{
    private static readonly RetrievalWorld.Settings s_small = new() { CorpusPeople = 300, TrainPeople = 60, HeldOutPeople = 30 };

    [Fact]
    public void TheSameSeedGivesTheSameWorld_AnotherSeedAnother()
    {
        var a = RetrievalWorld.Generate(s_small);
        var b = RetrievalWorld.Generate(s_small);
        var c = RetrievalWorld.Generate(s_small with { Seed = 2 });
        Assert.Equal(a.Corpus, b.Corpus);
        Assert.Equal(a.Passages, b.Passages);
        Assert.Equal(a.HeldOutQueries, b.HeldOutQueries);
        Assert.NotEqual(a.Passages, c.Passages);
    }

    [Fact]
    public void NoHeldOutPersonIsInTheTrainingData()
    {
        var world = RetrievalWorld.Generate(s_small);
        Assert.Equal(60 * 2, world.TrainPairs.Count);
        Assert.Equal(90, world.Passages.Count);
        Assert.Equal(30, world.HeldOutQueries.Count);
        foreach (var (question, passage) in world.HeldOutQueries)
        {
            Assert.InRange(passage, 60, 89);                                  // held-out passages follow the train people's
            // The name: the one capitalised word of a passage that is not a frame's ("Near the …", "Every morning …", "The …").
            string name = world.Passages[passage].Split(' ').Where(w => w.Length > 0 && char.IsUpper(w[0]) && w is not ("Near" or "The" or "Every")).Distinct().Single();
            bool Mentions(string text) => Regex.IsMatch(text, $@"\b{name}\b");
            Assert.False(Mentions(world.Corpus), $"{name} is in the pretraining text");
            Assert.DoesNotContain(world.TrainPairs, p => Mentions(p.Passage) || p.Question == question);
            Assert.False(Mentions(question), "a question gives the name away");
        }
        // Every train pair's passage is in the collection, as a distractor for the held-out questions.
        Assert.All(world.TrainPairs, p => Assert.Contains(p.Passage, world.Passages.Take(60)));
    }

    [Fact]
    public void QuestionsRepeatThePassagesWordsAboutAThirdOfTheTime()
    {
        var world = RetrievalWorld.Generate(s_small with { HeldOutPeople = 300, CorpusPeople = 10 });
        Assert.InRange(world.HeldOutWordOverlap, 0.28, 0.39);
    }

    [Fact]
    public void TooManyPeopleForTheCombinationsAreRefused() =>
        Assert.Throws<ArgumentException>(() => RetrievalWorld.Generate(s_small with { CorpusPeople = 9_000 }));

    [Fact]
    public void RecallCountsTiesAgainstTheRetriever()
    {
        double[][] scores = [[0.9, 0.1, 0.5], [1, 1, 1], [0.2, 0.3, 0.1]];
        var figures = RetrievalRecall.Measure(scores, [0, 1, 0]);
        // Ranks: 1; 3 (two ties above); 2.
        Assert.Equal(1 / 3.0, (double)figures["recall_at_1"], 4);
        Assert.Equal(1.0, (double)figures["recall_at_10"]);
        Assert.Equal(Math.Round((1 + 1 / 3.0 + 1 / 2.0) / 3, 4), (double)figures["mrr"]);
    }
}

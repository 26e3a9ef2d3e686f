using Gpt.Cli.Commands.Bench;

namespace Gpt.Cli.Tests;

/// <summary>The BM25 baseline of <c>gpt bench retrieval</c> against scores worked out by hand (k1 1.2, b 0.75).</summary>
public sealed class Bm25Tests
{
    // Three documents of 2, 3 and 1 terms: avgdl = 2, N = 3.
    private static readonly Bm25 s_index = new(["Cat dog.", "cat, fish fish", "bird"]);

    [Fact]
    public void ScoresMatchTheFormulaWorkedByHand()
    {
        // fish: df 1, idf = ln(1 + 2.5 / 1.5) = 0.980829. Document 1 (tf 2, |d| 3):
        // 0.980829 · 2 · 2.2 / (2 + 1.2 · (0.25 + 0.75 · 3 / 2)) = 0.980829 · 4.4 / 3.65 = 1.182370.
        var fish = s_index.Scores("fish");
        Assert.Equal([0, 1.1823695, 0], fish.Select(s => Math.Round(s, 7)));

        // cat: df 2, idf = ln(1 + 1.5 / 2.5) = 0.470004. Document 0 (tf 1, |d| 2): 0.470004 · 2.2 / (1 + 1.2) = 0.470004;
        // document 1 (tf 1, |d| 3): 0.470004 · 2.2 / 2.65 = 0.390192, plus fish's 1.182370 = 1.572561.
        var catFish = s_index.Scores("CAT fish?");
        Assert.Equal([0.4700036, 1.5725612, 0], catFish.Select(s => Math.Round(s, 7)));
    }

    [Fact]
    public void AQueryTermRepeatedCountsEachTime_AndUnknownTermsAddNothing()
    {
        Assert.Equal(s_index.Scores("fish").Select(s => 2 * s), s_index.Scores("fish fish"));
        Assert.Equal(s_index.Scores("fish"), s_index.Scores("fish unicorn"));
        Assert.All(s_index.Scores("unicorn"), s => Assert.Equal(0, s));
    }

    [Fact]
    public void TermsAreLowerCasedRunsOfLettersAndDigits() =>
        Assert.Equal(["the", "red", "cat", "2", "sees", "a", "b4"], Bm25.Terms("The red-cat, 2 sees: a B4!"));

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new Bm25([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bm25(["a"], k1: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Bm25(["a"], b: 1.5));
    }
}

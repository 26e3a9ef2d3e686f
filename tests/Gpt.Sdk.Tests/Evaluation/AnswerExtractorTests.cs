using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

public class AnswerExtractorTests
{
    [Theory]
    [InlineData("Two and three make 5. The answer is 5.", "5")]
    [InlineData("so the answer is: 1,000.\n\nQ: next", "1000")]
    [InlineData("The answer is $12.50. Then", "12.5")]
    [InlineData("THE ANSWER IS Paris.", "Paris")]
    [InlineData("The answer is 3.5", "3.5")]
    [InlineData("The answer is 7. Later the answer is 9.", "7")]         // the first: later text is the model inventing more
    [InlineData("3 apples and 4 pears make 7 fruit", "7")]              // no sentence: the last number
    [InlineData("it drops to -4 degrees", "-4")]
    [InlineData("nothing here", null)]
    [InlineData("The answer is .", null)]                                // an empty answer is none
    public void DefaultPatternFindsTheAnswerSentenceThenTheLastNumber(string completion, string? expected) =>
        Assert.Equal(expected, AnswerExtractor.Default.Extract(completion));

    [Theory]
    [InlineData("  42. ", "42")]
    [InlineData("42.0", "42")]
    [InlineData("+42", "42")]
    [InlineData("007", "7")]
    [InlineData("-0", "0")]
    [InlineData("1,234,567", "1234567")]
    [InlineData("$5", "5")]
    [InlineData("New   York..", "New York")]
    [InlineData("Paris, France", "Paris, France")]
    public void NormalisationMakesEqualAnswersEqualText(string answer, string expected) =>
        Assert.Equal(expected, AnswerExtractor.Normalize(answer));

    [Fact]
    public void PatternIsConfigurable()
    {
        var boxed = new AnswerExtractor(@"\\boxed\{(.+?)\}", fallBackToLastNumber: false);
        Assert.Equal("12", boxed.Extract(@"so 3 * 4 = \boxed{12}, done 99"));
        Assert.Null(boxed.Extract("only 99"));

        var named = new AnswerExtractor(@"#### (?<answer>\S+)");
        Assert.Equal("72", named.Extract("Natalia sold 48/2 = 24 clips... #### 72"));

        var error = Assert.Throws<ArgumentException>(() => new AnswerExtractor("(unclosed"));
        Assert.Contains("not a valid regular expression", error.Message);
    }
}

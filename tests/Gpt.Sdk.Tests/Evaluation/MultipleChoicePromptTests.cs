using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

public class MultipleChoicePromptTests
{
    private static readonly MultipleChoiceItem Question = new("Q: 5 + 1 =\nA:", ["6", "7"], 0);

    private static readonly MultipleChoiceItem[] Dev =
    [
        new("Q: 1 + 1 =\nA:", ["3", "2"], 1),
        new("Q: 2 + 1 =\nA:", ["3", "4"], 0),
        new("Q: 3 + 1 =\nA:", ["5", "4"], 1),
        new("Q: 4 + 1 =\nA:", ["5", "6"], 0),
    ];

    [Fact]
    public void KShotLayoutIsLmEvaluationHarnesssDefault()
    {
        string prompt = MultipleChoicePrompt.Build(Question, [Dev[0], Dev[1]]);

        // Exemplar context, a space, its correct choice; a blank line between exemplars and before the question.
        Assert.Equal("Q: 1 + 1 =\nA: 2\n\nQ: 2 + 1 =\nA: 3\n\nQ: 5 + 1 =\nA:", prompt);
        Assert.Equal(Question.Context, MultipleChoicePrompt.Build(Question, []));
    }

    [Fact]
    public void ExemplarsAreDistinctDevItemsAndTheSeedFixesThem()
    {
        var first = MultipleChoicePrompt.SelectExemplars(Question, Dev, 3, new Random(5));
        var again = MultipleChoicePrompt.SelectExemplars(Question, Dev, 3, new Random(5));

        Assert.Equal(first, again);
        Assert.Equal(3, first.Distinct().Count());
        Assert.All(first, e => Assert.Contains(e, Dev));
        // Different seeds draw different sets or orders across a handful of tries.
        Assert.Contains(Enumerable.Range(0, 10), s => !MultipleChoicePrompt.SelectExemplars(Question, Dev, 3, new Random(s)).SequenceEqual(first));
    }

    [Fact]
    public void AQuestionNeverShowsItsOwnAnswerEvenWhenTheDevSplitHoldsIt()
    {
        // The dev split holds a copy of the question (an equal record, not the same reference).
        var leaky = Dev.Append(Question with { Choices = ["6", "7"] }).ToArray();

        for (int seed = 0; seed < 20; seed++)
        {
            var exemplars = MultipleChoicePrompt.SelectExemplars(Question, leaky, Dev.Length, new Random(seed));
            Assert.DoesNotContain(exemplars, e => e.Context == Question.Context);
            Assert.DoesNotContain(Question.Context, MultipleChoicePrompt.Build(Question, exemplars)[..^Question.Context.Length]);
        }

        var error = Assert.Throws<ArgumentException>(() => MultipleChoicePrompt.SelectExemplars(Question, leaky, Dev.Length + 1, new Random(0)));
        Assert.Contains("dev split has 4", error.Message);
    }
}

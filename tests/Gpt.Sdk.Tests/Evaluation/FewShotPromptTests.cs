using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Evaluation;

public class FewShotPromptTests
{
    // One token per character: the budget arithmetic can be checked by counting characters.
    private static readonly CharTokenizer Chars = CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));

    private static readonly QuestionAnswer[] Exemplars =
    [
        new("1+1?", "2", "One and one make 2."),
        new("2+3?", "5", "Two and three make 5."),
        new("4+4?", "8", "Four and four make 8."),
    ];

    [Fact]
    public void DirectLayoutIsQuestionAnswerBlocksThenTheOpenQuery()
    {
        var prompt = new FewShotPrompt { Exemplars = Exemplars[..2], Instruction = "Add." };
        var built = prompt.Build("3+3?");
        Assert.Equal("Add.\n\nQ: 1+1?\nA: 2\n\nQ: 2+3?\nA: 5\n\nQ: 3+3?\nA:", built.Text);
        Assert.Equal((2, 0), (built.ExemplarsKept, built.ExemplarsDropped));
        Assert.Null(built.TokenCount);
    }

    [Fact]
    public void ChainOfThoughtShowsTheSolutionThenTheAnswerSentence()
    {
        var prompt = new FewShotPrompt { Exemplars = Exemplars[..1], ChainOfThought = true };
        Assert.Equal("Q: 1+1?\nA: One and one make 2. The answer is 2.\n\nQ: 3+3?\nA:", prompt.Build("3+3?").Text);

        // The default extractor reads back what the layout writes.
        Assert.Equal("2", AnswerExtractor.Default.Extract("One and one make 2. The answer is 2.\n\n"));
    }

    [Fact]
    public void ZeroShotTriggerOpensTheAnswer()
    {
        var prompt = new FewShotPrompt { ZeroShotChainOfThought = true };
        Assert.Equal("Q: 3+3?\nA: Let's think step by step.", prompt.Build("3+3?").Text);
    }

    [Fact]
    public void LayoutIsConfigurable()
    {
        var layout = new FewShotLayout { QuestionPrefix = "Question: ", AnswerPrefix = "\nAnswer: ", Separator = "\n###\n", AnswerSentence = "So {0}." };
        var prompt = new FewShotPrompt { Exemplars = Exemplars[..1], Layout = layout, ChainOfThought = true };
        Assert.Equal("Question: 1+1?\nAnswer: One and one make 2. So 2.\n###\nQuestion: 3+3?\nAnswer:", prompt.Build("3+3?").Text);
        Assert.Throws<ArgumentException>(() => new FewShotLayout { AnswerSentence = "no slot" }.Validate());
    }

    // Acceptance: exemplars are dropped whole, from the end; none is cut; the query is always there.
    [Fact]
    public void BudgetDropsWholeExemplarsFromTheEndAndKeepsTheQuery()
    {
        var prompt = new FewShotPrompt { Exemplars = Exemplars, ChainOfThought = true, Instruction = "Add the numbers." };
        const string Query = "3+3?";
        int full = prompt.Format(Query, 3).Length, bare = prompt.Format(Query, 0).Length;
        for (int budget = bare; budget <= full + 5; budget++)
        {
            var built = prompt.Build(Query, Chars, budget);
            Assert.True(built.TokenCount <= budget, $"budget {budget}: {built.TokenCount} tokens");
            Assert.Equal(Chars.Encode(built.Text).Length, built.TokenCount);
            Assert.Equal(3, built.ExemplarsKept + built.ExemplarsDropped);
            Assert.Equal(prompt.Format(Query, built.ExemplarsKept), built.Text);
            // The most that fit: one more would not.
            if (built.ExemplarsKept < 3) Assert.True(prompt.Format(Query, built.ExemplarsKept + 1).Length > budget);
            Assert.EndsWith("Q: 3+3?\nA:", built.Text);
            // Each exemplar is either all there or not there at all.
            for (int i = 0; i < 3; i++)
            {
                bool whole = built.Text.Contains($"Q: {Exemplars[i].Question}\nA: {Exemplars[i].Solution} The answer is {Exemplars[i].Answer}.\n\n");
                Assert.Equal(i < built.ExemplarsKept, whole);
                if (!whole) Assert.DoesNotContain(Exemplars[i].Solution!, built.Text);
            }
        }
        Assert.Equal(0, prompt.Build(Query, Chars, bare).ExemplarsKept);
        Assert.Equal(3, prompt.Build(Query, Chars, full).ExemplarsKept);
    }

    [Fact]
    public void AQueryThatCannotFitIsAnErrorNotATruncation()
    {
        var prompt = new FewShotPrompt { Exemplars = Exemplars };
        var error = Assert.Throws<ArgumentException>(() => prompt.Build("a very long question indeed?", Chars, 10));
        Assert.Contains("over the prompt budget of 10", error.Message);

        Assert.Equal(48, FewShotPrompt.TokenBudget(64, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => FewShotPrompt.TokenBudget(64, 64));
    }

    [Fact]
    public void ChainOfThoughtRefusesAnExemplarWithoutASolution()
    {
        var prompt = new FewShotPrompt { Exemplars = [Exemplars[0], new QuestionAnswer("5+5?", "10")], ChainOfThought = true };
        var error = Assert.Throws<ArgumentException>(() => prompt.Build("3+3?"));
        Assert.Contains("exemplar 2", error.Message);
        Assert.Contains("worked solution", error.Message);
        // Without chain of thought the same exemplars are fine.
        Assert.Contains("A: 10", new FewShotPrompt { Exemplars = prompt.Exemplars }.Build("3+3?").Text);
    }
}

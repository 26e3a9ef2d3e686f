using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Evaluation;

public sealed class SelfConsistencyTests : IDisposable
{
    // Digits dominate the alphabet, so even a random model writes numbers the extractor can vote on.
    private static readonly CharTokenizer Chars = new("0123456789 +?QA:.\n");

    private readonly GptModel _model = new(new GptConfig
    {
        VocabularySize = Chars.VocabularySize, ContextLength = 64, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2,
    }, seed: 5);

    public void Dispose() => _model.Dispose();

    private SelfConsistency Sampler() => new(new Generator(_model, Chars));

    [Fact]
    public void VoteOverGivenCompletionsReportsTheShareOfAnsweredPaths()
    {
        string[] completions = ["so 2+3 is 5. The answer is 5.", "The answer is 5", "I get 6", "no idea", "The answer is 6."];
        var vote = MajorityVote.Vote(completions, AnswerExtractor.Default.Extract);
        // 5 and 6 both have two votes: the answer seen first wins; "no idea" is not counted.
        Assert.Equal(new MajorityVoteResult("5", 2, 4), vote);
        Assert.Equal(0.5, vote.Share);
        Assert.Equal(0, new MajorityVoteResult(null, 0, 0).Share);
    }

    [Fact]
    public async Task SampledPathsAreVotedOnAndRepeatWithTheSeed()
    {
        var options = new SelfConsistencyOptions { Samples = 9, Temperature = 1f, MaxTokens = 12, Seed = 3 };
        var result = await Sampler().SampleAsync("Q: 2+3?\nA:", options);
        Assert.Equal(9, result.Paths.Count);
        Assert.Equal(result.Paths.Select(p => AnswerExtractor.Default.Extract(p.Text)), result.Paths.Select(p => p.Answer));

        // The vote is the plurality of the paths' own answers, and the share is its part of the answered paths.
        var answered = result.Paths.Where(p => p.Answer is not null).Select(p => p.Answer!).ToArray();
        Assert.NotEmpty(answered);
        int best = answered.GroupBy(a => a).Max(g => g.Count());
        Assert.Equal(best, result.Vote.Votes);
        Assert.Equal(answered.Length, result.Vote.Total);
        Assert.Equal(best, answered.Count(a => a == result.Answer));
        Assert.Equal((double)best / answered.Length, result.VoteShare);

        var again = await Sampler().SampleAsync("Q: 2+3?\nA:", options);
        Assert.Equal(result.Paths, again.Paths);
        Assert.True(result.Paths.Select(p => p.Text).Distinct().Count() > 1, "sampled paths should differ");
    }

    [Fact]
    public async Task EvaluationScoresGreedyAndVoteAgainstTheReferences()
    {
        var sampler = Sampler();
        var prompt = new FewShotPrompt { Exemplars = [new("1+1?", "2"), new("2+2?", "4")] };
        var options = new SelfConsistencyOptions { Samples = 5, MaxTokens = 10, Seed = 11 };
        QuestionAnswer[] questions = [new("1+2?", "3"), new("2+5?", "7"), new("4+4?", "8"), new("3+3?", "6")];
        var first = await sampler.EvaluateAsync(questions, prompt, options);

        // Score again with the answers the model gave as the references: greedy decoding and the vote then score
        // exactly on the questions where they gave an answer, which checks the comparison end to end.
        var asGreedy = first.Items.Select(i => i.Item with { Answer = i.Greedy.Answer ?? "none" }).ToArray();
        var reports = new List<AnswerEvaluationProgress>();
        var second = await sampler.EvaluateAsync(asGreedy, prompt, options, new SynchronousProgress<AnswerEvaluationProgress>(reports.Add));
        Assert.Equal(first.Items.Select(i => i.SelfConsistency.Paths), second.Items.Select(i => i.SelfConsistency.Paths)); // seeds: Seed + index
        Assert.Equal(first.Items.Count(i => i.Greedy.Answer is not null) / 4.0, second.GreedyAccuracy);
        Assert.Equal(second.Items.Count(i => i.SelfConsistency.Answer == i.Item.Answer) / 4.0, second.SelfConsistencyAccuracy);
        Assert.Equal(second.Items.Average(i => i.SelfConsistency.VoteShare), second.MeanVoteShare);
        Assert.All(second.Items, i => Assert.Equal(2, i.ExemplarsKept));
        Assert.Equal(5, second.Samples);

        Assert.Equal(Enumerable.Range(1, 4), reports.Select(r => r.Done));
        Assert.Equal(second.Items.Count(i => i.GreedyCorrect), reports[^1].GreedyCorrect);
        Assert.Equal(second.Items.Count(i => i.SelfConsistencyCorrect), reports[^1].SelfConsistencyCorrect);
    }

    [Fact]
    public async Task ExemplarsAreDroppedToLeaveTheAnswerItsTokens()
    {
        var prompt = new FewShotPrompt { Exemplars = Enumerable.Range(0, 10).Select(i => new QuestionAnswer($"{i}+{i}?", $"{2 * i}")).ToArray() };
        var result = await Sampler().EvaluateAsync([new("1+2?", "3")], prompt, new SelfConsistencyOptions { Samples = 2, MaxTokens = 20, Seed = 1 });
        var item = Assert.Single(result.Items);
        Assert.InRange(item.ExemplarsKept, 1, 9);
        Assert.True(prompt.Format("1+2?", item.ExemplarsKept).Length <= 64 - 20);
    }

    [Fact]
    public async Task CancellationAndBadOptionsAreRefused()
    {
        var sampler = Sampler();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            sampler.EvaluateAsync([new("1+2?", "3")], new FewShotPrompt(), new SelfConsistencyOptions { MaxTokens = 8 }, null, cancelled.Token));
        // The default 128-token answer cannot fit this 64-token model: said before anything runs.
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sampler.EvaluateAsync([new("1+2?", "3")], new FewShotPrompt()));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sampler.SampleAsync("Q: 1?\nA:", null, cancelled.Token));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => sampler.SampleAsync("Q:", new SelfConsistencyOptions { Temperature = 0 }));
        Assert.Contains("temperature", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => sampler.SampleAsync("Q:", new SelfConsistencyOptions { Samples = 0 }));
    }

    // Progress<T> posts to the thread pool; the test reads the reports right after the call returns.
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

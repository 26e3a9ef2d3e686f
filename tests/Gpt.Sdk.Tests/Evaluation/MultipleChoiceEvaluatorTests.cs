using System.Text;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Evaluation;

/// <summary>The evaluator on the PyTorch-checked gpt2_tiny model (vocab 61, context 16) read through a 61-character
/// tokenizer, so every choice's score can be recomputed with <see cref="LogLikelihood"/> directly.</summary>
public sealed class MultipleChoiceEvaluatorTests : IDisposable
{
    // 61 characters, one of them two bytes in UTF-8 (é), so acc_norm's byte length differs from a character count.
    private static readonly CharTokenizer Tokenizer = new(" \nabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:!?'é");
    private readonly GptModel _model = GptModel.FromPretrained(Path.Combine(AppContext.BaseDirectory, "Reference", "gpt2_tiny"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task AccAndAccNormFollowTheChoicesLogLikelihoods()
    {
        var questions = new (string Context, string[] Choices)[]
        {
            ("the cat", ["sat", "ran", "éé"]),
            ("a dog", ["is", "was here", "b"]),
            ("Q: sky?\nA:", ["blue", "green", "grey"]),
        };
        using var scorer = new LogLikelihood(_model, batchSize: 1);
        double[][] direct = questions
            .Select(q => q.Choices.Select(c => scorer.Score(Tokenizer.Encode(q.Context), Tokenizer.Encode(" " + c))).ToArray())
            .ToArray();
        // Answers set from the model's own scores: the first two items are right by raw score, the third wrong.
        int[] answers = [ArgMax(direct[0]), ArgMax(direct[1]), (ArgMax(direct[2]) + 1) % 3];
        var items = questions.Select((q, i) => new MultipleChoiceItem(q.Context, q.Choices, answers[i])).ToArray();

        var result = await new MultipleChoiceEvaluator(_model, Tokenizer).EvaluateAsync(items, new MultipleChoiceOptions { BatchSize = 4 });

        Assert.Equal(2.0 / 3, result.Accuracy, 12);
        int normalizedHits = 0;
        for (int i = 0; i < items.Length; i++)
        {
            var prediction = result.Items[i];
            double[] normalized = direct[i].Select((s, c) => s / Encoding.UTF8.GetByteCount(questions[i].Choices[c])).ToArray();
            for (int c = 0; c < direct[i].Length; c++)
            {
                Assert.Equal(direct[i][c], prediction.Scores[c], 1e-5 * Math.Abs(direct[i][c]));
                Assert.Equal(prediction.Scores[c] / Encoding.UTF8.GetByteCount(questions[i].Choices[c]), prediction.NormalizedScores[c], 12);
            }

            Assert.Equal(ArgMax(normalized), prediction.PredictedNormalized);
            normalizedHits += ArgMax(normalized) == answers[i] ? 1 : 0;
        }

        Assert.Equal(result.Items[0].Scores[2] / 4, result.Items[0].NormalizedScores[2], 12);   // "éé" is 4 bytes, 2 characters
        Assert.Equal(normalizedHits / 3.0, result.NormalizedAccuracy, 12);
        // acc_stderr as lm-evaluation-harness reports it: sample standard deviation of the hits over √n.
        Assert.Equal(Math.Sqrt((2 * Math.Pow(1 - 2.0 / 3, 2) + Math.Pow(2.0 / 3, 2)) / 2 / 3), result.AccuracyStandardError, 12);
    }

    [Fact]
    public async Task BatchingGivesTheSameScoresAsOneByOne()
    {
        var items = new[]
        {
            new MultipleChoiceItem("short", ["a", "bb", "a longer one"], 0),
            new MultipleChoiceItem("a context longer than the sixteen positions", ["x", "yes"], 1),
            new MultipleChoiceItem("mid size", ["one", "two", "three", "four"], 2),
        };
        var evaluator = new MultipleChoiceEvaluator(_model, Tokenizer);

        var one = await evaluator.EvaluateAsync(items, new MultipleChoiceOptions { BatchSize = 1 });
        var all = await evaluator.EvaluateAsync(items, new MultipleChoiceOptions { BatchSize = 9 });

        for (int i = 0; i < items.Length; i++)
            for (int c = 0; c < items[i].Choices.Count; c++)
                Assert.Equal(one.Items[i].Scores[c], all.Items[i].Scores[c], 1e-5 * Math.Abs(one.Items[i].Scores[c]));
        Assert.Equal(one.Accuracy, all.Accuracy);
    }

    [Fact]
    public async Task KShotPromptsAreReproducibleAndComeOnlyFromTheDevSplit()
    {
        var test = new[] { new MultipleChoiceItem("Q: five and one?\nA:", ["six", "seven"], 0), new MultipleChoiceItem("Q: six and one?\nA:", ["eight", "seven"], 1) };
        var dev = new[] { new MultipleChoiceItem("Q: one and one?\nA:", ["two", "three"], 0), new MultipleChoiceItem("Q: two and one?\nA:", ["four", "three"], 1) };
        var evaluator = new MultipleChoiceEvaluator(_model, Tokenizer);
        var options = new MultipleChoiceOptions { Shots = 1, Dev = dev, Seed = 7 };

        var first = await evaluator.EvaluateAsync(test, options);
        var again = await evaluator.EvaluateAsync(test, options);
        Assert.Equal(first.Items.SelectMany(p => p.Scores), again.Items.SelectMany(p => p.Scores));

        // Item 0 with one dev exemplar: the score is that of one of the two prompts a dev item can make, nothing else.
        using var scorer = new LogLikelihood(_model);
        double[] possible = dev.Select(d => scorer.Score(Tokenizer.Encode(MultipleChoicePrompt.Build(test[0], [d])), Tokenizer.Encode(" six"))).ToArray();
        Assert.Contains(possible, p => Math.Abs(p - first.Items[0].Scores[0]) <= 1e-5 * Math.Abs(p));

        // A dev split that is only a copy of a test item cannot give that item an exemplar: refused, not leaked.
        var leak = await Assert.ThrowsAsync<ArgumentException>(() => evaluator.EvaluateAsync(test, new MultipleChoiceOptions { Shots = 1, Dev = [test[0] with { }] }));
        Assert.Contains("dev split has 0", leak.Message);
        var noDev = await Assert.ThrowsAsync<ArgumentException>(() => evaluator.EvaluateAsync(test, new MultipleChoiceOptions { Shots = 1 }));
        Assert.Contains("Dev", noDev.Message);
    }

    [Fact]
    public async Task ReportsProgressAndStopsWhenCancelled()
    {
        var items = Enumerable.Range(0, 5).Select(i => new MultipleChoiceItem($"item {(char)('a' + i)}", ["a", "b"], 0)).ToArray();
        var reports = new List<ScoringProgress>();
        var progress = new SynchronousProgress(reports.Add);

        await new MultipleChoiceEvaluator(_model, Tokenizer).EvaluateAsync(items, new MultipleChoiceOptions { BatchSize = 4 }, progress);

        Assert.Equal([4, 8, 10], reports.Select(r => r.Completed));
        Assert.All(reports, r => Assert.Equal(10, r.Total));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new MultipleChoiceEvaluator(_model, Tokenizer).EvaluateAsync(items, null, null, cancelled.Token));
    }

    private static int ArgMax(double[] values) => Array.IndexOf(values, values.Max());

    private sealed class SynchronousProgress(Action<ScoringProgress> report) : IProgress<ScoringProgress>
    {
        public void Report(ScoringProgress value) => report(value);
    }
}

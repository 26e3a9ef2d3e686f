using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Self-consistency (Wang et al., 2022): sample several reasoning paths for a question, read the final answer out of
/// each, and keep the answer most paths agree on (<see cref="MajorityVote"/>); with greedy decoding, the single most
/// likely path, beside it for comparison. Thread-safe when its generator is (it is).
/// </summary>
public sealed class SelfConsistency
{
    /// <summary>Creates the sampler.</summary>
    /// <param name="generator">Generates the paths.</param>
    /// <param name="extractor">Reads answers out of paths (default <see cref="AnswerExtractor.Default"/>).</param>
    public SelfConsistency(Generator generator, AnswerExtractor? extractor = null)
    {
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        Extractor = extractor ?? AnswerExtractor.Default;
    }

    /// <summary>The generator.</summary>
    public Generator Generator { get; }

    /// <summary>The answer extractor.</summary>
    public AnswerExtractor Extractor { get; }

    /// <summary>Samples <see cref="SelfConsistencyOptions.Samples"/> paths continuing <paramref name="prompt"/> (sharing one
    /// prefill) and votes on their answers.</summary>
    /// <param name="prompt">The prompt, e.g. <see cref="FewShotPromptText.Text"/>.</param>
    /// <param name="options">Sampling options (defaults when null).</param>
    /// <param name="cancellationToken">Stops generation within one step; the method then throws <see cref="OperationCanceledException"/>.</param>
    public async Task<SelfConsistencyResult> SampleAsync(string prompt, SelfConsistencyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? new SelfConsistencyOptions()).Validate();
        return await SampleAsync(prompt, options.Sampling(null), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The greedy path continuing <paramref name="prompt"/>: the likeliest token at every step.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="options">Its <see cref="SelfConsistencyOptions.MaxTokens"/>, stop sequences and adapter are used (defaults when null).</param>
    /// <param name="cancellationToken">Stops generation within one step; the method then throws <see cref="OperationCanceledException"/>.</param>
    public async Task<ReasoningPath> GreedyAsync(string prompt, SelfConsistencyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? new SelfConsistencyOptions()).Validate();
        return await GreedyAsync(prompt, options.Greedy(null), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers every question greedily and by self-consistency with the prompts <paramref name="prompt"/> builds, each
    /// fitted to the model's context minus <see cref="SelfConsistencyOptions.MaxTokens"/>, and scores both against the
    /// reference answers (normalised by <see cref="AnswerExtractor.Normalize"/>). Item i samples with seed
    /// <c>Seed + i</c>. Paths stop at the options' stop sequences, or the layout's when the options have none.
    /// </summary>
    /// <param name="items">The questions and reference answers.</param>
    /// <param name="prompt">The prompt design: exemplars, chain of thought, layout.</param>
    /// <param name="options">Sampling options (defaults when null).</param>
    /// <param name="progress">Told after each question.</param>
    /// <param name="cancellationToken">Stops within one decoding step, then throws <see cref="OperationCanceledException"/>.</param>
    public async Task<AnswerEvaluation> EvaluateAsync(IReadOnlyList<QuestionAnswer> items, FewShotPrompt prompt, SelfConsistencyOptions? options = null,
        IProgress<AnswerEvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(prompt);
        options = (options ?? new SelfConsistencyOptions()).Validate();
        int budget = FewShotPrompt.TokenBudget(Generator.Model.Config.ContextLength, options.MaxTokens);
        var stops = prompt.Layout.StopSequences.Count == 0 ? null : prompt.Layout.StopSequences;
        var results = new List<AnswerEvaluationItem>(items.Count);
        int greedyCorrect = 0, voteCorrect = 0;
        for (int i = 0; i < items.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = items[i] ?? throw new ArgumentException($"item {i + 1} is null.", nameof(items));
            if (item.Question is null || item.Answer is null)
                throw new ArgumentException($"item {i + 1} has no {(item.Question is null ? "question" : "answer")}.", nameof(items));
            var text = prompt.Build(item.Question, Generator.Tokenizer, budget);
            var greedy = await GreedyAsync(text.Text, options.Greedy(stops), cancellationToken).ConfigureAwait(false);
            var sampling = options.Sampling(stops);
            if (options.Seed is { } seed) sampling = sampling with { Seed = unchecked(seed + (ulong)i) };
            var vote = await SampleAsync(text.Text, sampling, cancellationToken).ConfigureAwait(false);

            string expected = AnswerExtractor.Normalize(item.Answer);
            bool greedyRight = greedy.Answer == expected, voteRight = vote.Answer == expected;
            greedyCorrect += greedyRight ? 1 : 0;
            voteCorrect += voteRight ? 1 : 0;
            results.Add(new AnswerEvaluationItem(item, text.ExemplarsKept, greedy, vote, greedyRight, voteRight));
            progress?.Report(new AnswerEvaluationProgress(i + 1, items.Count, greedyCorrect, voteCorrect));
        }
        return new AnswerEvaluation(results, options.Samples);
    }

    private async Task<SelfConsistencyResult> SampleAsync(string prompt, GenerationOptions sampling, CancellationToken cancellationToken)
    {
        var result = await Generator.GenerateAsync(prompt, sampling, cancellationToken).ConfigureAwait(false);
        // The generator ends a cancelled request with the text so far; a vote over cut paths would be a wrong figure.
        cancellationToken.ThrowIfCancellationRequested();
        var paths = result.Completions.Select(c => new ReasoningPath(c.Text, Extractor.Extract(c.Text), c.FinishReason)).ToArray();
        return new SelfConsistencyResult(MajorityVote.Vote(result, Extractor.Extract), paths);
    }

    private async Task<ReasoningPath> GreedyAsync(string prompt, GenerationOptions greedy, CancellationToken cancellationToken)
    {
        var result = await Generator.GenerateAsync(prompt, greedy, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new ReasoningPath(result.Text, Extractor.Extract(result.Text), result.FinishReason);
    }
}

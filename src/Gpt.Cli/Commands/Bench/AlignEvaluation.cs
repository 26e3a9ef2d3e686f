using Gpt.Cli.Rewards;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// What <c>gpt bench align</c> measures of each model it makes (base, SFT, and the aligned ones): the true score on the
/// held-out prompts, sampled and greedy, and the language-modelling loss on held-out pretraining sentences (the
/// alignment tax). Every stage calls <see cref="MeasureAsync"/> the same way, so their figures compare.
/// </summary>
internal static class AlignEvaluation
{
    /// <summary>Samples drawn per held-out prompt at temperature 1.</summary>
    public const int SamplesPerPrompt = 8;

    /// <summary>A response is one sentence: 7 words and the full stop at most, a newline, and slack to see a run-on one.</summary>
    public const int MaxResponseTokens = 12;

    /// <summary>Measures <paramref name="model"/> (with <paramref name="adapter"/>, a LoRA adapter loaded on it, when given).</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="world">The prompts and held-out sentences.</param>
    /// <param name="seed">Seed of the sampling.</param>
    /// <param name="adapter">The name of a LoRA adapter on <paramref name="model"/> to measure, or null for the model alone.</param>
    /// <param name="cancellationToken">Stops between generation steps.</param>
    public static async Task<Dictionary<string, object>> MeasureAsync(GptModel model, ITokenizer tokenizer, AlignWorld world, ulong seed,
        string? adapter, CancellationToken cancellationToken)
    {
        var generator = new Generator(model, tokenizer);
        var prompts = world.EvalPrompts;
        var sampling = new GenerationOptions
        {
            Temperature = 1, N = SamplesPerPrompt, Seed = seed, MaxTokens = MaxResponseTokens, StopSequences = ["\n"], Adapter = adapter,
        };
        var sampled = await generator.GenerateBatchAsync(prompts, sampling, cancellationToken);
        var greedy = await generator.GenerateBatchAsync(prompts, sampling with { Temperature = 0, N = 1 }, cancellationToken);

        var sampledPrompts = prompts.SelectMany(p => Enumerable.Repeat(p, SamplesPerPrompt)).ToList();
        var sampledTexts = sampled.SelectMany(r => r.Completions.Select(c => c.Text)).ToList();
        float[] sampledScores = new RequestedWordsReward().Score(sampledPrompts, sampledTexts, cancellationToken);
        float[] greedyScores = new RequestedWordsReward().Score(prompts, greedy.Select(r => r.Text).ToList(), cancellationToken);

        return new Dictionary<string, object>
        {
            ["true_score_sampled"] = Math.Round(sampledScores.Average(), 4),
            ["true_score_greedy"] = Math.Round(greedyScores.Average(), 4),
            // How the sampled score splits: the share of responses using none, one and both of the requested words.
            ["sampled_uses"] = new Dictionary<string, object>
            {
                ["none"] = Share(sampledScores, 0f), ["one"] = Share(sampledScores, 0.5f), ["both"] = Share(sampledScores, 1f),
            },
            ["mean_response_tokens"] = Math.Round(sampled.SelectMany(r => r.Completions).Average(c => (double)c.Tokens.Count), 3),
            ["held_out_lm_loss"] = Math.Round(LanguageModellingLoss(model, tokenizer, world.HeldOutCorpus, adapter, cancellationToken), 4),
            ["examples"] = prompts.Take(2).Select((p, i) => $"{p.TrimEnd('\n')} -> {greedy[i].Text}").ToList(),
        };
    }

    private static double Share(float[] scores, float value) => Math.Round(scores.Count(s => s == value) / (double)scores.Length, 4);

    /// <summary>Mean next-token loss (nats) of the held-out text, cut into context-long windows as pretraining reads it; the
    /// first token of each window is its context, the rest are scored.</summary>
    private static double LanguageModellingLoss(GptModel model, ITokenizer tokenizer, IReadOnlyList<string> sentences, string? adapter,
        CancellationToken cancellationToken)
    {
        int[] tokens = tokenizer.Encode(string.Concat(sentences.Select(s => s + "\n")));
        int window = model.Config.ContextLength;
        var requests = new List<LogLikelihoodRequest>();
        for (int start = 0; start + window <= tokens.Length; start += window)
            requests.Add(new LogLikelihoodRequest(tokens[start..(start + 1)], tokens[(start + 1)..(start + window)]));
        using var scorer = new LogLikelihood(model, adapter is null ? null : model.GetAdapter(adapter), batchSize: 64);
        double[] logProbabilities = scorer.Score(requests, cancellationToken: cancellationToken);
        return -logProbabilities.Sum() / requests.Sum(r => r.Continuation.Length);
    }
}

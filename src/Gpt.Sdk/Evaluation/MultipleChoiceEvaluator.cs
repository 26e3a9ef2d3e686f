using System.Text;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Multiple-choice benchmarks scored as lm-evaluation-harness scores them: each choice's score is the sum of its
/// tokens' log-probabilities after the (k-shot) prompt (<see cref="MultipleChoicePrompt"/>), the prediction is the
/// highest score (acc) or the highest score per byte of the choice's text (acc_norm). Every (prompt, choice) pair of
/// the benchmark goes through <see cref="LogLikelihood"/> in batches.
/// </summary>
/// <remarks>
/// Tokens as lm-evaluation-harness makes them: whitespace at the end of the prompt moves to the front of the
/// continuation, the continuation's tokens are those of encode(prompt + " " + choice) after the prompt's own
/// encoding, and the prompt is encode(prompt). acc_norm divides by the choice's length in UTF-8 bytes (without the
/// leading space); lm-evaluation-harness divides by Python's character count, which is the same for ASCII text.
/// </remarks>
public sealed class MultipleChoiceEvaluator
{
    private readonly GptModel _model;
    private readonly ITokenizer _tokenizer;

    /// <summary>An evaluator of <paramref name="model"/>, reading text with <paramref name="tokenizer"/>.</summary>
    /// <param name="model">The model (with its adapters); not owned.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    public MultipleChoiceEvaluator(GptModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>Scores every choice of every item and reports acc and acc_norm.</summary>
    /// <param name="items">The benchmark (test split).</param>
    /// <param name="options">Shots, dev split, seed, adapter and batch size; null for zero-shot on the base model.</param>
    /// <param name="progress">Receives a report after each batch of (prompt, choice) pairs.</param>
    /// <param name="cancellationToken">Stops the run between batches.</param>
    /// <exception cref="ArgumentException">No items, shots without a dev split, a dev split too small, or an item whose
    /// prompt encodes to no tokens.</exception>
    public Task<MultipleChoiceResult> EvaluateAsync(IReadOnlyList<MultipleChoiceItem> items, MultipleChoiceOptions? options = null,
        IProgress<ScoringProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        options ??= new MultipleChoiceOptions();
        if (items.Count == 0) throw new ArgumentException("there are no items to evaluate.", nameof(items));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Shots, "options.Shots");
        if (options.Shots > 0 && options.Dev is null)
            throw new ArgumentException($"{options.Shots}-shot evaluation draws exemplars from a dev split; set MultipleChoiceOptions.Dev " +
                "(exemplars never come from the items evaluated).", nameof(options));
        return Task.Run(() => Evaluate(items, options, progress, cancellationToken), cancellationToken);
    }

    private MultipleChoiceResult Evaluate(IReadOnlyList<MultipleChoiceItem> items, MultipleChoiceOptions options,
        IProgress<ScoringProgress>? progress, CancellationToken cancellationToken)
    {
        var requests = new List<LogLikelihoodRequest>();
        for (int i = 0; i < items.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = items[i];
            // One generator per item, seeded by the item's index, so an item's prompt does not depend on the others.
            var exemplars = MultipleChoicePrompt.SelectExemplars(item, options.Dev ?? [], options.Shots, new Random(unchecked(options.Seed * 1_000_003 + i)));
            string prompt = MultipleChoicePrompt.Build(item, exemplars);
            foreach (string choice in item.Choices) requests.Add(Encode(prompt, MultipleChoicePrompt.AnswerSeparator + choice, i));
        }

        using var scorer = new LogLikelihood(_model, options.Adapter, options.BatchSize);
        double[] scores = scorer.Score(requests, progress, cancellationToken);

        var predictions = new MultipleChoicePrediction[items.Count];
        int next = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var choices = items[i].Choices;
            var raw = scores.AsSpan(next, choices.Count).ToArray();
            next += choices.Count;
            // An empty choice has no bytes; it keeps its raw score rather than dividing by zero.
            var normalized = raw.Select((s, c) => s / Math.Max(1, Encoding.UTF8.GetByteCount(choices[c]))).ToArray();
            predictions[i] = new MultipleChoicePrediction(i, items[i].Answer, ArgMax(raw), ArgMax(normalized), raw, normalized);
        }

        var (acc, accError) = MeanAndStandardError(predictions.Select(p => p.Correct));
        var (accNorm, accNormError) = MeanAndStandardError(predictions.Select(p => p.CorrectNormalized));
        return new MultipleChoiceResult(acc, accNorm, accError, accNormError, predictions);
    }

    /// <summary>lm-evaluation-harness's <c>_encode_pair</c>: trailing whitespace of the prompt joins the continuation,
    /// and the continuation's tokens are what encoding the whole adds after the prompt's tokens.</summary>
    private LogLikelihoodRequest Encode(string prompt, string continuation, int item)
    {
        int trimmed = prompt.TrimEnd().Length;
        continuation = string.Concat(prompt.AsSpan(trimmed), continuation);
        prompt = prompt[..trimmed];
        int[] context = _tokenizer.Encode(prompt);
        if (context.Length == 0)
            throw new ArgumentException($"item {item}: its prompt encodes to no tokens, so nothing conditions the first answer token; give the item a context.", "items");
        int[] whole = _tokenizer.Encode(prompt + continuation);
        // A merge across the boundary can leave nothing after the prompt's tokens; then the continuation is encoded alone.
        int[] tail = whole.Length > context.Length ? whole[context.Length..] : _tokenizer.Encode(continuation);
        return new LogLikelihoodRequest(context, tail);
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static (double Mean, double StandardError) MeanAndStandardError(IEnumerable<bool> hits)
    {
        double[] x = hits.Select(h => h ? 1.0 : 0.0).ToArray();
        double mean = x.Average();
        if (x.Length < 2) return (mean, 0);
        double variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        return (mean, Math.Sqrt(variance / x.Length));
    }
}

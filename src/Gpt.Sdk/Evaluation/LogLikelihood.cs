using System.Diagnostics;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Log-probabilities of tokens under a model (optionally with a LoRA adapter): the one code path behind perplexity
/// (<c>gpt eval --text/--ids</c>) and multiple-choice scoring. Every number comes from the same pass:
/// <see cref="GptModel.Forward(Tape, ReadOnlySpan{int}, int, int, in ForwardOptions)"/> followed by the fused
/// <see cref="TensorOps.TokenLogProbs"/>, in <see cref="TokenLogProbs"/>.
/// </summary>
/// <remarks>
/// <see cref="Score(IReadOnlyList{LogLikelihoodRequest}, IProgress{ScoringProgress}?, CancellationToken)"/> follows
/// lm-evaluation-harness's <c>loglikelihood</c>: the model reads (context + continuation) without its last token,
/// keeping only the last context-length + 1 tokens when that is too long (the context loses its oldest tokens, the
/// continuation is never cut), and the result is the sum of the continuation tokens' log-probabilities. Requests
/// are sorted by length and batched, each batch padded on the right, which a causal model never looks at.
/// An instance holds one tape for its activations, so it is not thread-safe; use one per thread.
/// </remarks>
public sealed class LogLikelihood : IDisposable
{
    /// <summary>Rows per forward pass unless told otherwise; the logits of a batch take rows × T × V floats.</summary>
    public const int DefaultBatchSize = 8;

    private readonly Tape _tape;

    /// <summary>A scorer for <paramref name="model"/>, or for it with <paramref name="adapter"/> applied in every pass.</summary>
    /// <param name="model">The model; not owned (not disposed with the scorer).</param>
    /// <param name="adapter">A LoRA adapter of <paramref name="model"/>, or null for the base model.</param>
    /// <param name="batchSize">Rows per forward pass (≥ 1); lower it if the logits of a batch do not fit in memory.</param>
    public LogLikelihood(GptModel model, LoraAdapter? adapter = null, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Model = model;
        Adapter = adapter;
        BatchSize = batchSize;
        _tape = new Tape(model.Device);
    }

    /// <summary>The model scored.</summary>
    public GptModel Model { get; }

    /// <summary>The adapter applied in every pass, or null.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// One forward pass over <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens: per position, the
    /// log-probability of its target, log softmax(logits)[target]; 0 where the target is negative (not scored).
    /// </summary>
    /// <param name="ids">B×T token ids, row-major.</param>
    /// <param name="targets">B×T targets, one per position (usually the next token of the row); negative = none.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T, at most the model's context length.</param>
    /// <param name="logits">Called with the pass's logits (B, T, V) before they are recycled, e.g. to save them;
    /// the tensor is valid only during the call.</param>
    /// <returns>B×T log-probabilities, row-major.</returns>
    public float[] TokenLogProbs(ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seqLen, Action<Tensor>? logits = null)
    {
        if (targets.Length != ids.Length)
            throw new ArgumentException($"give one target per token: {targets.Length} targets for {ids.Length} ids.", nameof(targets));
        int vocabulary = Model.Config.VocabularySize;
        foreach (int target in targets)
        {
            if (target >= vocabulary)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {target} is outside the model's vocabulary of {vocabulary} ids.");
        }

        _tape.Reset();
        using var noGrad = _tape.NoGrad();
        var output = Model.Forward(_tape, ids, batch, seqLen, new ForwardOptions { Adapter = Adapter });   // (B, T, V)
        logits?.Invoke(output);
        return _tape.TokenLogProbs(output, _tape.Indices(targets)).ToArray();
    }

    /// <summary>Sum of log p(<paramref name="continuation"/> | <paramref name="context"/>), natural log.</summary>
    /// <param name="context">Conditioning tokens, at least one; only the last ones that fit are read.</param>
    /// <param name="continuation">Scored tokens, between one and the model's context length.</param>
    public double Score(ReadOnlySpan<int> context, ReadOnlySpan<int> continuation) =>
        Score([new LogLikelihoodRequest(context.ToArray(), continuation.ToArray())])[0];

    /// <summary>
    /// For each request, the sum of its continuation tokens' log-probabilities given its context (natural log), in
    /// the order given, computed in batches of <see cref="BatchSize"/> rows.
    /// </summary>
    /// <param name="requests">The (context, continuation) pairs.</param>
    /// <param name="progress">Receives a report after each batch.</param>
    /// <param name="cancellationToken">Stops the run between batches.</param>
    public double[] Score(IReadOnlyList<LogLikelihoodRequest> requests, IProgress<ScoringProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        int window = Model.Config.ContextLength;
        for (int i = 0; i < requests.Count; i++) Check(requests[i], i, window);

        // Longest first, as lm-evaluation-harness orders them: rows of similar length share a batch, so little
        // is padded, and a batch too big for memory fails at the start rather than at the end.
        int[] order = Enumerable.Range(0, requests.Count).OrderByDescending(i => InputLength(requests[i], window)).ToArray();
        var scores = new double[requests.Count];
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < order.Length; first += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int batch = Math.Min(BatchSize, order.Length - first);
            int seqLen = InputLength(requests[order[first]], window);
            var ids = new int[batch * seqLen];                               // padding: token 0, never a target
            var targets = new int[batch * seqLen];
            targets.AsSpan().Fill(-1);
            for (int b = 0; b < batch; b++)
                Layout(requests[order[first + b]], window, ids.AsSpan(b * seqLen, seqLen), targets.AsSpan(b * seqLen, seqLen));

            float[] logProbs = TokenLogProbs(ids, targets, batch, seqLen);
            for (int b = 0; b < batch; b++)
            {
                double sum = 0;
                for (int t = 0; t < seqLen; t++)
                    if (targets[b * seqLen + t] >= 0) sum += logProbs[b * seqLen + t];
                scores[order[first + b]] = sum;
            }

            progress?.Report(new ScoringProgress(first + batch, order.Length, clock.Elapsed));
        }

        return scores;
    }

    /// <summary><see cref="Score(IReadOnlyList{LogLikelihoodRequest}, IProgress{ScoringProgress}?, CancellationToken)"/>
    /// on a worker thread.</summary>
    /// <param name="requests">The (context, continuation) pairs.</param>
    /// <param name="progress">Receives a report after each batch.</param>
    /// <param name="cancellationToken">Stops the run between batches.</param>
    public Task<double[]> ScoreAsync(IReadOnlyList<LogLikelihoodRequest> requests, IProgress<ScoringProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Score(requests, progress, cancellationToken), cancellationToken);

    /// <summary>Frees the activation memory (not the model).</summary>
    public void Dispose() => _tape.Dispose();

    /// <summary>Tokens the model reads for a request: all but the last of the last window + 1 tokens.</summary>
    private static int InputLength(in LogLikelihoodRequest request, int window) =>
        Math.Min(request.Context.Length + request.Continuation.Length, window + 1) - 1;

    /// <summary>Writes a request's input tokens and targets at the start of its row; the continuation's tokens are
    /// the targets of the row's last positions.</summary>
    private static void Layout(in LogLikelihoodRequest request, int window, Span<int> ids, Span<int> targets)
    {
        int[] context = request.Context, continuation = request.Continuation;
        int length = InputLength(request, window);
        int skipped = context.Length + continuation.Length - (length + 1);  // oldest context tokens that do not fit
        int Token(int i) => i < context.Length ? context[i] : continuation[i - context.Length];
        for (int t = 0; t < length; t++) ids[t] = Token(skipped + t);
        for (int t = length - continuation.Length; t < length; t++) targets[t] = Token(skipped + t + 1);
    }

    private static void Check(in LogLikelihoodRequest request, int index, int window)
    {
        if (request.Context is not { Length: > 0 })
            throw new ArgumentException($"request {index} has no context tokens; give at least one (lm-evaluation-harness uses the end-of-text token for an empty context).", "requests");
        if (request.Continuation is not { Length: > 0 })
            throw new ArgumentException($"request {index} has no continuation tokens; there is nothing to score.", "requests");
        if (request.Continuation.Length > window)
            throw new ArgumentException($"request {index} has a continuation of {request.Continuation.Length} tokens, more than the model's context of {window}; " +
                "it cannot be scored in one pass. Shorten the continuation.", "requests");
    }
}

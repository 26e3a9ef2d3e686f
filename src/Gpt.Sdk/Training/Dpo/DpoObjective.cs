using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// DPO (Rafailov et al. 2023) or IPO (Azar et al. 2023) as an <see cref="ITrainingObjective"/>, as TRL's DPOTrainer defines
/// them: each batch holds whole prompts of a <see cref="PreferenceDataset"/> (every pair of a ranked list together), its
/// chosen and rejected sequences go through the policy in one forward pass, and the loss compares the policy's
/// log-probabilities of the responses with the reference's. The reference log-probabilities are computed once, by
/// <see cref="Create"/>, with the model as it is then, and kept as two floats per pair (so no second copy of the weights
/// is ever held): create the objective before the first step and before a checkpoint is restored. Reports TRL's reward
/// metrics (see <see cref="TrainingMetrics"/>). Not thread-safe.
/// </summary>
public sealed class DpoObjective : ITrainingObjective
{
    private readonly PreferenceBatchSource _train;
    private readonly PreferenceBatchSource _evaluation;
    private readonly ReferenceLogProbs _reference;
    private readonly DpoMetrics _metrics = new(), _evaluationMetrics = new();
    private long _tokensPerBatch;

    private DpoObjective(DpoOptions options, PreferenceBatchSource train, PreferenceBatchSource evaluation, ReferenceLogProbs reference)
    {
        Options = options;
        _train = train;
        _evaluation = evaluation;
        _reference = reference;
        HasEvaluationData = !ReferenceEquals(train.Dataset, evaluation.Dataset);
        _tokensPerBatch = (long)2 * train.PromptsPerBatch * train.Dataset.SequenceLength;
    }

    /// <summary>
    /// Computes the reference log-probabilities of every pair of <paramref name="train"/> and <paramref name="evaluation"/>
    /// with <paramref name="model"/> as it is now, under <paramref name="referenceAdapter"/> (null: the base model, which
    /// is the reference of a LoRA policy whose adapter is the one being trained), and returns the objective. This is one
    /// forward pass over the data, without gradients.
    /// </summary>
    /// <param name="model">The policy's model before its first step (a full fine-tune's reference is these weights).</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="evaluation">Held-out pairs; null to evaluate on the first batches of the training data instead.</param>
    /// <param name="options">β, loss type, label smoothing; validated.</param>
    /// <param name="promptsPerBatch">Prompts (groups of pairs) per batch, for training and for the reference passes.</param>
    /// <param name="seed">Seed of the training data order.</param>
    /// <param name="referenceAdapter">An adapter loaded on the model that the reference applies, or null for the base.</param>
    /// <param name="cancellationToken">Cancels between reference passes.</param>
    /// <exception cref="ArgumentException">Invalid options, or data longer than the model's context.</exception>
    public static DpoObjective Create(GptModel model, PreferenceDataset train, PreferenceDataset? evaluation, DpoOptions options, int promptsPerBatch,
        ulong seed, LoraAdapter? referenceAdapter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptsPerBatch);
        foreach (var data in (PreferenceDataset?[])[train, evaluation])
            if (data is not null && data.SequenceLength > model.Config.ContextLength)
                throw new ArgumentException($"the preference data allows sequences of {data.SequenceLength} tokens, more than the model's context of " +
                    $"{model.Config.ContextLength}; load it with a sequence length of at most the context.");
        if (referenceAdapter is not null && model.Adapters.GetValueOrDefault(referenceAdapter.Name) != referenceAdapter)
            throw new ArgumentException($"the reference adapter '{referenceAdapter.Name}' is not loaded on this model.", nameof(referenceAdapter));
        var reference = ReferenceLogProbs.Compute(model, referenceAdapter, evaluation is null ? [train] : [train, evaluation], promptsPerBatch,
            options.LossType == DpoLossType.Ipo, cancellationToken);
        return new DpoObjective(options, new PreferenceBatchSource(train, promptsPerBatch, seed),
            new PreferenceBatchSource(evaluation ?? train, promptsPerBatch, seed), reference);
    }

    /// <summary>The loss's settings.</summary>
    public DpoOptions Options { get; }

    /// <summary>True when held-out pairs were given; otherwise evaluation reads the first batches of the training data.</summary>
    public bool HasEvaluationData { get; }

    /// <summary>Positions (rows × tokens, padding included) of the last training batch.</summary>
    public long TokensPerBatch => _tokensPerBatch;

    /// <inheritdoc />
    public ulong DataPosition
    {
        get => _train.Position;
        set => _train.Position = value;
    }

    /// <inheritdoc />
    public IEnumerable<ParameterSegment> Segments => [];

    /// <summary>The last training batch's means over its pairs: <c>reward_chosen</c> and <c>reward_rejected</c> (β·(log π −
    /// log π_ref)), <c>reward_accuracy</c> (the fraction with the chosen reward higher), <c>reward_margin</c> (chosen minus
    /// rejected reward), <c>logp_chosen</c> and <c>logp_rejected</c> (the policy's log-probabilities; per-token means for
    /// IPO). TRL's <c>rewards/…</c> and <c>logps/…</c>.</summary>
    public IReadOnlyDictionary<string, double> TrainingMetrics => _metrics.Values();

    /// <summary>The same as <see cref="TrainingMetrics"/> over every pair the last <see cref="Evaluate"/> read.</summary>
    public IReadOnlyDictionary<string, double> EvaluationMetrics => _evaluationMetrics.Values();

    /// <summary>The reference log-probabilities stored for <paramref name="pair"/> (sums, or per-token means for IPO).</summary>
    internal (float Chosen, float Rejected) ReferenceOf(TokenizedPreference pair) => _reference[pair];

    /// <inheritdoc />
    public Tensor TrainingLoss(Tape tape, in TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var pairs = _train.NextPairs();
        if (Options.DisableDropout) tape.IsTraining = false;
        _metrics.Clear();
        var loss = Loss(tape, context, pairs, _metrics, out long positions);
        _tokensPerBatch = positions;
        return _train.LossWeight == 1f ? loss : tape.Scale(loss, _train.LossWeight);   // this rank's share of a global batch
    }

    /// <inheritdoc />
    public void ShardTrainingData(int rank, int ranks) => _train.Shard(rank, ranks);

    /// <inheritdoc />
    public float Evaluate(Tape tape, in TrainingContext context, int maxBatches)
    {
        ArgumentNullException.ThrowIfNull(tape);
        _evaluation.Position = 0;
        _evaluationMetrics.Clear();
        int batches = Math.Min(maxBatches, _evaluation.BatchesPerEpoch);
        for (int i = 0; i < batches; i++)
        {
            tape.Reset();
            Loss(tape, context, _evaluation.NextPairs(), _evaluationMetrics, out _);
        }
        return (float)_evaluationMetrics.Loss;
    }

    private Tensor Loss(Tape tape, in TrainingContext context, IReadOnlyList<TokenizedPreference> pairs, DpoMetrics metrics, out long positions)
    {
        int n = pairs.Count;
        var batch = PreferenceBatch.Create(pairs);
        positions = (long)batch.Rows * batch.SequenceLength;
        var rows = SequenceLogProbs.Of(tape, context.Model, batch, context.Adapter, context.DropoutSeed, Options.LossType == DpoLossType.Ipo);  // (2N)
        var (chosen, rejected) = SequenceLogProbs.Split(tape, rows, n);
        var referenceChosen = new float[n];
        var referenceRejected = new float[n];
        _reference.Fill(pairs, referenceChosen, referenceRejected);
        var loss = DpoLoss.Compute(tape, chosen, rejected, referenceChosen, referenceRejected, Options);
        float[] policy = rows.ToArray();
        metrics.Add(loss.ToArray()[0], policy.AsSpan(0, n), policy.AsSpan(n, n), referenceChosen, referenceRejected, Options.Beta);
        return loss;
    }
}

using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// Trains a reward model: the trunk runs once over a batch's 2N rows (the N prompt + chosen sequences, then the N
/// prompt + rejected ones), a <see cref="ScalarHead"/> scores each row at its last real token (the end token when the
/// tokenizer has one), and the loss is −log σ(r_chosen − r_rejected) averaged over the pairs. A batch holds whole prompts,
/// so a ranked list's K·(K−1)/2 pairs are trained together (InstructGPT). The trunk is the full model or a LoRA adapter on
/// it (whatever <see cref="Trainer"/> trains); the head, in <see cref="Segments"/>, is always trained.
/// </summary>
public sealed class RewardModelObjective : ITrainingObjective
{
    private readonly PreferenceBatchSource _train;
    private readonly PreferenceDataset? _evaluation;
    private readonly ulong _seed;
    private readonly PairwiseStatistics _trainStatistics = new(), _evaluationStatistics = new();
    // Filled in place after each batch or evaluation, so a steady training step allocates nothing for them.
    private readonly Dictionary<string, double> _trainMetrics = [], _evaluationMetrics = [];
    private long _tokensPerBatch;

    /// <summary>Trains <paramref name="head"/> (and the trunk the trainer is given) on <paramref name="train"/>.</summary>
    /// <param name="head">The score head; its width must be the trunk's.</param>
    /// <param name="train">Training preferences.</param>
    /// <param name="evaluation">Held-out preferences (every evaluation reads the same batches), or null for none.</param>
    /// <param name="promptsPerBatch">Prompts (groups of pairs) per micro-batch: a batch has 2 rows per pair.</param>
    /// <param name="seed">Seed of the data order.</param>
    public RewardModelObjective(ScalarHead head, PreferenceDataset train, PreferenceDataset? evaluation, int promptsPerBatch, ulong seed)
    {
        Head = head ?? throw new ArgumentNullException(nameof(head));
        ArgumentNullException.ThrowIfNull(train);
        _train = new PreferenceBatchSource(train, promptsPerBatch, seed);
        _evaluation = evaluation;
        _seed = seed;
    }

    /// <summary>The score head being trained.</summary>
    public ScalarHead Head { get; }

    /// <inheritdoc />
    public long TokensPerBatch => _tokensPerBatch;

    /// <inheritdoc />
    public ulong DataPosition
    {
        get => _train.Position;
        set => _train.Position = value;
    }

    /// <inheritdoc />
    public IEnumerable<ParameterSegment> Segments => [Head.Parameters];

    /// <inheritdoc />
    public bool HasEvaluationData => _evaluation is not null;

    /// <summary>Of the last training batch: <c>accuracy</c> (fraction of pairs whose chosen response scores higher),
    /// <c>margin</c> (mean r_chosen − r_rejected), <c>chosen_reward</c> and <c>rejected_reward</c> (mean scores).</summary>
    public IReadOnlyDictionary<string, double> TrainingMetrics => _trainMetrics;

    /// <summary>Over every pair of the last evaluation: <c>accuracy</c> (the held-out pairwise accuracy) and <c>margin</c>.</summary>
    public IReadOnlyDictionary<string, double> EvaluationMetrics => _evaluationMetrics;

    /// <inheritdoc />
    public Tensor TrainingLoss(Tape tape, in TrainingContext context)
    {
        _trainStatistics.Clear();
        var loss = Loss(tape, context, _train.Next(), _trainStatistics);
        if (_train.LossWeight != 1f) loss = tape.Scale(loss, _train.LossWeight);   // this rank's share of a global batch
        _trainMetrics["accuracy"] = _trainStatistics.Accuracy;
        _trainMetrics["margin"] = _trainStatistics.Margin;
        _trainMetrics["chosen_reward"] = _trainStatistics.ChosenReward;
        _trainMetrics["rejected_reward"] = _trainStatistics.RejectedReward;
        return loss;
    }

    /// <inheritdoc />
    public void ShardTrainingData(int rank, int ranks) => _train.Shard(rank, ranks);

    /// <summary>Mean pairwise loss over the held-out pairs of at most <paramref name="maxBatches"/> batches (the same ones
    /// every call, each pair weighted alike), with <see cref="EvaluationMetrics"/> over the same pairs.</summary>
    /// <param name="tape">The tape (in NoGrad).</param>
    /// <param name="context">Model and adapter.</param>
    /// <param name="maxBatches">Upper bound on batches read.</param>
    public float Evaluate(Tape tape, in TrainingContext context, int maxBatches)
    {
        if (_evaluation is null) throw new InvalidOperationException("this objective has no held-out preferences to evaluate on.");
        var source = new PreferenceBatchSource(_evaluation, _train.PromptsPerBatch, _seed);
        int batches = Math.Min(maxBatches, source.BatchesPerEpoch);
        _evaluationStatistics.Clear();
        for (int i = 0; i < batches; i++)
        {
            tape.Reset();
            Loss(tape, context, source.Next(), _evaluationStatistics);
        }

        _evaluationMetrics["accuracy"] = _evaluationStatistics.Accuracy;
        _evaluationMetrics["margin"] = _evaluationStatistics.Margin;
        return (float)_evaluationStatistics.Loss;
    }

    private Tensor Loss(Tape tape, in TrainingContext context, PreferenceBatch batch, PairwiseStatistics statistics)
    {
        var model = context.Model;
        if (Head.Parameters.Device != model.Device)
            throw new InvalidOperationException($"the score head is on {Head.Parameters.Device} but the model is on {model.Device}; create the head on the model's device.");
        if (Head.Projection.InFeatures != model.Config.EmbeddingSize)
            throw new InvalidOperationException(
                $"the score head reads hidden states of width {Head.Projection.InFeatures}, but the model's width is {model.Config.EmbeddingSize}; create the head for this model.");
        _tokensPerBatch = (long)batch.Rows * batch.SequenceLength;
        var options = new ForwardOptions { Adapter = context.Adapter, DropoutSeed = context.DropoutSeed };
        var hidden = model.ForwardHidden(tape, batch.Inputs, batch.Rows, batch.SequenceLength, options);   // (2N, T, C)
        int n = batch.PairCount;
        var chosen = Head.Forward(tape, hidden, batch.LastPositions.AsSpan(0, n));                          // (N)
        var rejected = Head.Forward(tape, hidden, batch.LastPositions.AsSpan(n, n));                        // (N)
        var loss = PairwiseRewardLoss.Compute(tape, chosen, rejected);
        statistics.Add(loss.ToArray()[0], chosen.ToArray(), rejected.ToArray());
        return loss;
    }
}

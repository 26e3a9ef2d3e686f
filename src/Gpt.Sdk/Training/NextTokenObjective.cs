using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// Mean next-token cross-entropy over the targets that carry loss: pretraining on corpus windows
/// (<see cref="TokenWindowSource"/>) and supervised fine-tuning on masked, padded or packed examples
/// (<see cref="SftBatchSource"/>) are this one objective over different batch sources.
/// </summary>
public sealed class NextTokenObjective : ITrainingObjective
{
    private ITokenBatchSource _train;
    private readonly ITokenBatchSource? _evaluation;
    private TokenBatch _batch;
    private readonly TokenBatch? _evaluationBatch;

    /// <summary>Trains on <paramref name="train"/> and evaluates on <paramref name="evaluation"/>.</summary>
    /// <param name="train">Training batches.</param>
    /// <param name="evaluation">Held-out batches (read from its start at every evaluation), or null for none.</param>
    public NextTokenObjective(ITokenBatchSource train, ITokenBatchSource? evaluation = null)
    {
        _train = train ?? throw new ArgumentNullException(nameof(train));
        _evaluation = evaluation;
        _batch = train.CreateBatch();
        _evaluationBatch = evaluation?.CreateBatch();
    }

    /// <inheritdoc />
    public long TokensPerBatch => (long)_train.BatchSize * _train.SequenceLength;

    /// <inheritdoc />
    public ulong DataPosition
    {
        get => _train.Position;
        set => _train.Position = value;
    }

    /// <inheritdoc />
    public IEnumerable<ParameterSegment> Segments => [];

    /// <summary>Sequence length of the batches.</summary>
    public int SequenceLength => _train.SequenceLength;

    /// <inheritdoc />
    public Tensor TrainingLoss(Tape tape, in TrainingContext context)
    {
        _train.Next(_batch);
        if (_train is not ShardedBatchSource shard || shard.LossWeight == 1f) return Loss(tape, context, _batch);
        float weight = shard.LossWeight;
        // A shard of padding only (the end of an epoch) still runs its pass, as its rank must join the step's all-reduce;
        // one target keeps the mean defined, and the zero weight keeps it out of the loss and the gradient.
        if (weight == 0f) _batch.Targets[0] = _batch.Inputs[0];
        return tape.Scale(Loss(tape, context, _batch), weight);
    }

    /// <inheritdoc />
    public void ShardTrainingData(int rank, int ranks)
    {
        ulong position = _train.Position;
        _train = _train.Shard(rank, ranks);
        _train.Position = position;
        _batch = _train.CreateBatch();
    }

    /// <inheritdoc />
    public float Evaluate(Tape tape, in TrainingContext context, int maxBatches)
    {
        if (_evaluation is null || _evaluationBatch is null)
            throw new InvalidOperationException("this objective has no held-out data to evaluate on.");
        _evaluation.Position = 0;
        int batches = Math.Min(maxBatches, _evaluation.BatchesPerEpoch ?? maxBatches);
        double sum = 0;
        Span<float> scalar = stackalloc float[1];
        for (int i = 0; i < batches; i++)
        {
            tape.Reset();
            _evaluation.Next(_evaluationBatch);
            Loss(tape, context, _evaluationBatch).CopyTo(scalar);
            sum += scalar[0];
        }

        return (float)(sum / Math.Max(batches, 1));
    }

    /// <inheritdoc />
    public bool HasEvaluationData => _evaluation is not null;

    private static Tensor Loss(Tape tape, in TrainingContext context, TokenBatch batch)
    {
        bool packed = batch.SegmentStarts is not null;
        var options = new ForwardOptions
        {
            Positions = packed ? batch.Positions : null,
            SegmentStarts = batch.SegmentStarts,
            Adapter = context.Adapter,
            DropoutSeed = context.DropoutSeed,
        };
        return context.Model.Loss(tape, batch.Inputs, batch.Targets, batch.BatchSize, batch.SequenceLength, options);
    }
}

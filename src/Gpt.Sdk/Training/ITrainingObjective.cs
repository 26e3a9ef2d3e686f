using System.Collections.Frozen;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// What a <see cref="Trainer"/> minimises, over the data it owns: language modelling and SFT
/// (<see cref="NextTokenObjective"/>), and the alignment and embedding objectives built the same way. The
/// trainer owns the loop (accumulation, clipping, AdamW, schedule, evaluation, checkpoints, resume); an
/// objective only draws its next batch and records its loss.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Tokens in one micro-batch (for throughput).</summary>
    long TokensPerBatch { get; }

    /// <summary>The training data's position (what a checkpoint stores to resume the same data order).</summary>
    ulong DataPosition { get; set; }

    /// <summary>Segments the objective brings besides the model's (a scalar head, say); trained when trainable.</summary>
    IEnumerable<ParameterSegment> Segments { get; }

    /// <summary>Draws the next training micro-batch and records its scalar loss on <paramref name="tape"/> (recording, training).</summary>
    /// <param name="tape">The tape, reset by the caller.</param>
    /// <param name="context">Model, adapter and dropout seed.</param>
    Tensor TrainingLoss(Tape tape, in TrainingContext context);

    /// <summary>Mean loss over at most <paramref name="maxBatches"/> held-out batches, the same batches every call
    /// (the tape is in NoGrad, not training).</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="context">Model and adapter.</param>
    /// <param name="maxBatches">Upper bound on batches read.</param>
    float Evaluate(Tape tape, in TrainingContext context, int maxBatches);

    /// <summary>Whether <see cref="Evaluate"/> has held-out data to read; the trainer evaluates only then. True by default.</summary>
    bool HasEvaluationData => true;

    /// <summary>Values besides the loss that the last <see cref="TrainingLoss"/> measured (a reward model's pairwise
    /// accuracy, DPO's reward margin, ...), by snake_case name. The trainer averages them over a step's micro-batches and
    /// reports them in <see cref="TrainingProgress.Metrics"/> and the run's <see cref="MetricsLog"/>. None by default.</summary>
    IReadOnlyDictionary<string, double> TrainingMetrics => FrozenDictionary<string, double>.Empty;

    /// <summary>Values besides the loss that the last <see cref="Evaluate"/> measured over all its batches, by snake_case
    /// name; logged with the prefix <c>validation_</c>. None by default.</summary>
    IReadOnlyDictionary<string, double> EvaluationMetrics => FrozenDictionary<string, double>.Empty;

    /// <summary>
    /// Makes every later training batch rank <paramref name="rank"/>'s disjoint shard of a global batch of
    /// <paramref name="ranks"/> × this objective's batch, drawn from the same seeded stream on every rank, with the loss
    /// weighted so that the ranks' average is the global batch's loss. The <see cref="Trainer"/> calls it once when it
    /// runs on several ranks; <see cref="DataPosition"/> stays the global stream's, the same on every rank.
    /// </summary>
    /// <param name="rank">This process's rank.</param>
    /// <param name="ranks">Number of ranks.</param>
    /// <exception cref="NotSupportedException">The objective cannot be split across ranks (the default).</exception>
    void ShardTrainingData(int rank, int ranks) =>
        throw new NotSupportedException($"{GetType().Name} cannot split its training batches across ranks, so it cannot train data-parallel; " +
            "implement ITrainingObjective.ShardTrainingData, or train on one process.");
}

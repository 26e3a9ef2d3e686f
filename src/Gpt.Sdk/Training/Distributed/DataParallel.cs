using System.Runtime.InteropServices;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// What a <see cref="Trainer"/> does differently on several ranks, in one place: weights broadcast from rank 0 before the
/// first step, gradients summed after the backward pass (the trainer folds the 1/ranks of the average into the backward
/// pass's scale), the loss averaged, and a resumed run's weights, moments and counters broadcast from rank 0, which alone
/// reads and writes checkpoints.
/// </summary>
/// <remarks>
/// The gradients are reduced after the whole backward pass, not bucket by bucket during it: the tape runs one op at a time
/// on the caller's thread and has no hook that says a parameter's gradient is final (the tied embedding's gradient is
/// complete only at the very end of the pass), and on the CPU the reduction needs the same cores the backward pass uses.
/// docs/scale-out.md says what overlap buys on GPUs and where it would go.
/// </remarks>
internal sealed class DataParallel(Communicator communicator)
{
    private bool _weightsShared;

    public Communicator Communicator { get; } = communicator;

    public bool IsRoot => Communicator.Rank == 0;

    /// <summary>Overwrites every rank's weights (trained or frozen) with rank 0's, once, as DDP does at construction.</summary>
    public void ShareWeightsOnce(IEnumerable<ParameterSegment> segments)
    {
        if (_weightsShared) return;
        foreach (var segment in segments) Communicator.Broadcast(segment.AllValues);
        _weightsShared = true;
    }

    /// <summary>Sums every trained segment's gradients over the ranks.</summary>
    public void SumGradients(AdamW optimizer)
    {
        foreach (var segment in optimizer.Segments) Communicator.AllReduceSum(segment.AllGradients);
    }

    /// <summary>The mean over ranks of each rank's <paramref name="value"/>.</summary>
    public double Mean(double value)
    {
        Span<double> sum = [value];
        Communicator.AllReduceSum(sum);
        return sum[0] / Communicator.Size;
    }

    /// <summary>True on every rank when rank 0 says so.</summary>
    public bool RootSays(bool value)
    {
        Span<byte> flag = [value ? (byte)1 : (byte)0];
        Communicator.Broadcast(flag);
        return flag[0] != 0;
    }

    /// <summary>After rank 0 loaded a checkpoint: gives every rank its trained values, moments and counters.</summary>
    public Checkpoint.State ShareResumedState(AdamW optimizer, Checkpoint.State? rootState, GptConfig config)
    {
        foreach (var segment in optimizer.Segments)
        {
            var (first, second) = optimizer.MomentsOf(segment);
            Communicator.Broadcast(segment.AllValues);
            Communicator.Broadcast(first.Slice(0, segment.Count));
            Communicator.Broadcast(second.Slice(0, segment.Count));
        }

        Span<ulong> counters = rootState is { } s
            ? [(ulong)s.Step, (ulong)s.OptimizerStep, s.DataPosition, (ulong)s.SkippedSteps, s.Seed]
            : [0, 0, 0, 0, 0];
        Communicator.Broadcast(MemoryMarshal.AsBytes(counters));
        optimizer.StepCount = (int)counters[1];
        _weightsShared = true;
        return new Checkpoint.State(config, (int)counters[0], (int)counters[1], counters[2], (int)counters[3], counters[4]);
    }
}

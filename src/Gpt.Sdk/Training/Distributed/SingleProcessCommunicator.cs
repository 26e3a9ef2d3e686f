using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Training;

/// <summary>One process: rank 0 of 1; sums and broadcasts leave the values as they are.</summary>
internal sealed class SingleProcessCommunicator() : Communicator(new CommunicatorOptions())
{
    public override int Rank => 0;

    public override int Size => 1;

    public override string Name => "single process";

    public override void AllReduceSum(Span<double> values)
    {
    }

    public override void Broadcast(Span<byte> values, int root = 0) => CheckRoot(root);

    public override void Barrier()
    {
    }

    public override void Abort(int errorCode)
    {
    }

    private protected override void AllReduceSumBucket(Slice<float> bucket)
    {
    }

    private protected override void BroadcastBucket(Slice<float> bucket, int root)
    {
    }

    private protected override void Dispose(bool disposing)
    {
    }
}

using System.Diagnostics;
using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Training;

/// <summary>
/// NCCL over the ranks of an MPI job, one CUDA device per rank: rank 0 makes the unique id, MPI broadcasts it, every rank
/// joins with ncclCommInitRank. All-reduce and broadcast run on the device's buffers in place, on the legacy default
/// stream (which orders them after the device's own stream); completion is polled with cuStreamQuery against the
/// timeout, and a collective that does not finish aborts the NCCL communicator (ncclCommAbort) and faults this one.
/// Host-side values (losses, counters) travel over MPI.
/// </summary>
internal sealed unsafe class NcclCommunicator : Communicator
{
    private readonly MpiCommunicator _mpi;
    private readonly NcclLibrary _nccl;
    private readonly Device _device;
    private nint _comm;

    private NcclCommunicator(MpiCommunicator mpi, NcclLibrary nccl, Device device, CommunicatorOptions options) : base(options)
    {
        _mpi = mpi;
        _nccl = nccl;
        _device = device;
        var id = default(NcclUniqueId);
        if (mpi.Rank == 0) nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        mpi.Broadcast(new Span<byte>(&id, sizeof(NcclUniqueId)));
        device.Synchronize();   // makes the device's context current on this thread
        nint comm;
        nccl.Check(nccl.CommInitRank(&comm, mpi.Size, id, mpi.Rank), "ncclCommInitRank");
        _comm = comm;
        int version;
        Name = nccl.GetVersion(&version) == 0 ? $"NCCL {version / 10000}.{version / 100 % 100}.{version % 100} over {mpi.Name}" : $"NCCL over {mpi.Name}";
    }

    public override int Rank => _mpi.Rank;

    public override int Size => _mpi.Size;

    public override string Name { get; }

    /// <summary>Loads NCCL (first, so a missing library is reported before anything else is checked or MPI starts), then joins.</summary>
    public static NcclCommunicator Start(Device device, CommunicatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        options.Validate();
        var nccl = NcclLibrary.Load(options.NcclLibrary);
        if (device.Kind != DeviceKind.Cuda)
            throw new NotSupportedException($"NCCL all-reduces CUDA device buffers, but the device is {device.Name}; use MPI for CPU or OpenCL runs.");
        var mpi = MpiCommunicator.Start(options);
        try
        {
            return new NcclCommunicator(mpi, nccl, device, options);
        }
        catch
        {
            mpi.Dispose();
            throw;
        }
    }

    public override void AllReduceSum(Span<double> values)
    {
        ThrowIfFaulted();
        try
        {
            _mpi.AllReduceSum(values);
        }
        catch (CollectiveTimeoutException e)
        {
            Fault = e;
            throw;
        }
    }

    public override void Broadcast(Span<byte> values, int root = 0)
    {
        ThrowIfFaulted();
        try
        {
            _mpi.Broadcast(values, root);
        }
        catch (CollectiveTimeoutException e)
        {
            Fault = e;
            throw;
        }
    }

    public override void Barrier()
    {
        ThrowIfFaulted();
        try
        {
            _mpi.Barrier();
        }
        catch (CollectiveTimeoutException e)
        {
            Fault = e;
            throw;
        }
    }

    public override void Abort(int errorCode)
    {
        if (_comm != 0) _nccl.CommAbort(_comm);
        _comm = 0;
        _mpi.Abort(errorCode);
    }

    private protected override void AllReduceSumBucket(Slice<float> bucket)
    {
        ulong address = Address(bucket);
        _device.Synchronize();
        _nccl.Check(_nccl.AllReduce(address, address, (nuint)bucket.Length, NcclLibrary.Float32, NcclLibrary.Sum, _comm, 0), "ncclAllReduce");
        Wait("all-reduce");
    }

    private protected override void BroadcastBucket(Slice<float> bucket, int root)
    {
        ulong address = Address(bucket);
        _device.Synchronize();
        _nccl.Check(_nccl.Broadcast(address, address, (nuint)bucket.Length, NcclLibrary.Float32, root, _comm, 0), "ncclBroadcast");
        Wait("broadcast");
    }

    private protected override void Dispose(bool disposing)
    {
        if (Fault is not null && Size > 1)
        {
            Console.Error.WriteLine($"error: {Fault.Message}");
            Abort(1);
        }

        if (_comm != 0) _nccl.CommDestroy(_comm);
        _comm = 0;
        _mpi.Dispose();
    }

    private ulong Address(Slice<float> bucket)
    {
        ulong address = bucket.Buffer?.CudaAddress ?? 0;
        if (address == 0) throw new ArgumentException($"NCCL reduces CUDA device memory; this buffer lives on {bucket.Buffer?.Device.Name ?? "no device"}.");
        if (bucket.Buffer!.Device != _device) throw new ArgumentException($"the buffer lives on {bucket.Buffer.Device.Name}, not this rank's {_device.Name}.");
        return address + (ulong)bucket.Offset * sizeof(float);
    }

    // NCCL kernels cannot be cancelled once queued; on timeout ncclCommAbort frees them so the process can exit.
    private void Wait(string operation)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            int status = _nccl.StreamQuery(0);
            if (status == 0) return;
            if (status != NcclLibrary.NotReady) throw Faulted(new InvalidOperationException($"rank {Rank}: {operation} failed on the GPU (CUDA error {status})."));
            int asyncError;
            if (_nccl.CommGetAsyncError(_comm, &asyncError) == 0 && asyncError != 0 && asyncError != NcclLibrary.InProgress)
                throw Faulted(new InvalidOperationException($"rank {Rank}: NCCL {operation} failed (NCCL error {asyncError}); a peer is probably gone."));
            if (clock.Elapsed >= Options.Timeout)
                throw Faulted(new CollectiveTimeoutException(operation, Rank, Options.Timeout, []));
            Thread.Sleep(0);
        }
    }

    private Exception Faulted(Exception fault)
    {
        Fault = fault;
        return fault;
    }
}

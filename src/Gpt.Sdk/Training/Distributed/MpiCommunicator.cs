using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Training;

/// <summary>
/// The ranks of an MPI job (MPI_COMM_WORLD) through Open MPI. Every collective is the non-blocking call
/// (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier) polled with MPI_Test against a deadline, so a dead or hung rank raises
/// <see cref="CollectiveTimeoutException"/> instead of hanging this one; CPU buffers are reduced in place, others
/// through a host copy.
/// </summary>
/// <remarks>
/// Naming the missing rank: a rank still waiting at half the timeout sends every other rank a small "waiting at
/// collective #k" message; at the deadline, the ranks it heard that from are alive, and the others are named as missing.
/// </remarks>
internal sealed unsafe class MpiCommunicator : Communicator
{
    private const int WaitingTag = 0x6770;
    private static readonly TimeSpan YieldingWait = TimeSpan.FromSeconds(2);
    private static readonly Lock StartGate = new();
    private static MpiCommunicator? _started;
    private static bool _finalized;

    private readonly MpiLibrary _mpi;
    private readonly List<nint> _announcements = [];
    private long _sequence;
    private float[] _host = [];
    private bool _disposed;

    private MpiCommunicator(MpiLibrary mpi, CommunicatorOptions options) : base(options)
    {
        _mpi = mpi;
        int initialized, provided, rank, size;
        MpiLibrary.Check(_mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) MpiLibrary.Check(_mpi.InitThread(0, 0, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        MpiLibrary.Check(_mpi.CommRank(_mpi.CommWorld, &rank), "MPI_Comm_rank");
        MpiLibrary.Check(_mpi.CommSize(_mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        Name = LibraryVersion();
    }

    public override int Rank { get; }

    public override int Size { get; }

    public override string Name { get; }

    internal MpiLibrary Library => _mpi;

    /// <summary>Starts MPI in this process (once) or throws naming the library that is missing.</summary>
    public static MpiCommunicator Start(CommunicatorOptions options)
    {
        options.Validate();
        lock (StartGate)
        {
            if (_started is { _disposed: false })
                throw new InvalidOperationException("MPI is already started in this process; use the communicator you have (one per process).");
            if (_finalized)
                throw new InvalidOperationException("MPI was shut down in this process and cannot start again (MPI starts once per process).");
            var library = MpiLibrary.Load(options.MpiLibrary);
            _started = new MpiCommunicator(library, options);
            return _started;
        }
    }

    public override void AllReduceSum(Span<double> values)
    {
        ThrowIfFaulted();
        fixed (double* p = values)
        {
            nint request;
            MpiLibrary.Check(_mpi.Iallreduce(MpiLibrary.InPlace, (nint)p, values.Length, _mpi.Double, _mpi.Sum, _mpi.CommWorld, &request), "MPI_Iallreduce");
            Wait(&request, "all-reduce");
        }
    }

    public override void Broadcast(Span<byte> values, int root = 0)
    {
        ThrowIfFaulted();
        CheckRoot(root);
        fixed (byte* p = values)
        {
            nint request;
            MpiLibrary.Check(_mpi.Ibcast((nint)p, values.Length, _mpi.Byte, root, _mpi.CommWorld, &request), "MPI_Ibcast");
            Wait(&request, "broadcast");
        }
    }

    public override void Barrier()
    {
        ThrowIfFaulted();
        nint request;
        MpiLibrary.Check(_mpi.Ibarrier(_mpi.CommWorld, &request), "MPI_Ibarrier");
        Wait(&request, "barrier");
    }

    public override void Abort(int errorCode)
    {
        if (_disposed) return;
        Console.Error.Flush();
        _mpi.AbortJob(_mpi.CommWorld, errorCode);
    }

    private protected override void AllReduceSumBucket(Slice<float> bucket) => WithHostMemory(bucket, writeBack: true, p =>
    {
        nint request;
        MpiLibrary.Check(_mpi.Iallreduce(MpiLibrary.InPlace, p, bucket.Length, _mpi.Float, _mpi.Sum, _mpi.CommWorld, &request), "MPI_Iallreduce");
        Wait(&request, "all-reduce");
    });

    private protected override void BroadcastBucket(Slice<float> bucket, int root) => WithHostMemory(bucket, writeBack: true, p =>
    {
        nint request;
        MpiLibrary.Check(_mpi.Ibcast(p, bucket.Length, _mpi.Float, root, _mpi.CommWorld, &request), "MPI_Ibcast");
        Wait(&request, "broadcast");
    });

    private protected override void Dispose(bool disposing)
    {
        lock (StartGate)
        {
            if (_disposed) return;
            if (Fault is not null && Size > 1)
            {
                // MPI_Finalize would wait for the rank that is gone; end the whole job instead, saying why.
                Console.Error.WriteLine($"error: {Fault.Message}");
                Abort(1);
            }

            int finalized;
            _mpi.Finalized(&finalized);
            if (finalized == 0) _mpi.Finalize();
            foreach (nint buffer in _announcements) NativeMemory.Free((void*)buffer);
            _announcements.Clear();
            _disposed = true;
            _finalized = true;
        }
    }

    // MPI reads and writes CPU buffers where they are; other devices' buffers go through a host copy.
    private void WithHostMemory(Slice<float> bucket, bool writeBack, Action<nint> collective)
    {
        nint address = bucket.Buffer?.HostAddress ?? 0;
        if (address != 0)
        {
            collective(address + (nint)(bucket.Offset * sizeof(float)));
            return;
        }

        var device = bucket.Buffer!.Device;
        if (_host.Length < bucket.Length) _host = new float[bucket.Length];
        var host = _host.AsSpan(0, bucket.Length);
        device.Download(bucket, host);
        fixed (float* p = host) collective((nint)p);
        if (writeBack) device.Upload<float>(host, bucket);
    }

    // Polls the request until it completes or the deadline passes. Open MPI moves a non-blocking collective on only inside
    // MPI_Test (no progress thread), one message fragment at a time, so a large all-reduce needs thousands of tests: the
    // loop spins, then yields the core (to a peer's compute thread if one wants it) for a while, and sleeps between tests
    // only once the wait is long enough to mean a peer is still computing (its evaluation, say).
    private void Wait(nint* request, string operation)
    {
        long sequence = ++_sequence;
        var clock = Stopwatch.StartNew();
        TimeSpan timeout = Options.Timeout, half = timeout / 2;
        bool announced = false;
        var alive = new HashSet<int>();
        for (int polls = 0; ; polls++)
        {
            int done;
            MpiLibrary.Check(_mpi.Test(request, &done, 0), "MPI_Test");
            if (done != 0) return;
            TimeSpan waited = clock.Elapsed;
            if (waited >= half && Size > 1)
            {
                if (!announced) Announce(sequence);
                announced = true;
                CollectAnnouncements(sequence, alive);
            }

            if (waited >= timeout)
            {
                var missing = Enumerable.Range(0, Size).Where(r => r != Rank && !alive.Contains(r)).ToArray();
                var fault = new CollectiveTimeoutException(operation, Rank, timeout, missing);
                Fault = fault;
                throw fault;
            }

            if (polls < 20_000) Thread.SpinWait(20);
            else if (waited < YieldingWait) Thread.Yield();
            else Thread.Sleep(1);
        }
    }

    private void Announce(long sequence)
    {
        for (int peer = 0; peer < Size; peer++)
        {
            if (peer == Rank) continue;
            var buffer = (long*)NativeMemory.Alloc(sizeof(long));
            *buffer = sequence;
            _announcements.Add((nint)buffer);
            nint request;
            MpiLibrary.Check(_mpi.Isend((nint)buffer, 1, _mpi.Long, peer, WaitingTag, _mpi.CommWorld, &request), "MPI_Isend");
            MpiLibrary.Check(_mpi.RequestFree(&request), "MPI_Request_free");
        }
    }

    // Announcements of earlier collectives (a slow one that completed after all) are read and dropped.
    private void CollectAnnouncements(long sequence, HashSet<int> alive)
    {
        for (int peer = 0; peer < Size; peer++)
        {
            if (peer == Rank) continue;
            while (true)
            {
                int pending;
                MpiLibrary.Check(_mpi.Iprobe(peer, WaitingTag, _mpi.CommWorld, &pending, 0), "MPI_Iprobe");
                if (pending == 0) break;
                long theirs;
                MpiLibrary.Check(_mpi.Recv((nint)(&theirs), 1, _mpi.Long, peer, WaitingTag, _mpi.CommWorld, 0), "MPI_Recv");
                if (theirs == sequence) alive.Add(peer);
            }
        }
    }

    private string LibraryVersion()
    {
        var buffer = stackalloc byte[8192];
        int length;
        if (_mpi.GetLibraryVersion(buffer, &length) != 0) return "MPI";
        string text = Encoding.UTF8.GetString(buffer, length);
        int comma = text.IndexOf(',', StringComparison.Ordinal);
        return (comma > 0 ? text[..comma] : text).Trim();
    }
}

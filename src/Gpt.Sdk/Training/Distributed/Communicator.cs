using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Training;

/// <summary>
/// The processes of a data-parallel run and the collectives they share: rank and size, all-reduce (sum) of float
/// buffers in buckets, broadcast and barrier, each bounded by <see cref="CommunicatorOptions.Timeout"/>. Three
/// implementations: <see cref="SingleProcess"/> (today's one-process run, no dependency), <see cref="Mpi"/> (the system's
/// Open MPI, for CPUs on one or many machines) and <see cref="Nccl"/> (NCCL on CUDA devices, bootstrapped over MPI).
/// </summary>
/// <remarks>
/// Every rank must call the same collectives in the same order. A collective that does not complete within the timeout
/// (a rank died or hangs) throws <see cref="CollectiveTimeoutException"/> and leaves the communicator faulted; disposing a
/// faulted MPI or NCCL communicator ends the whole job (MPI_Abort) rather than waiting for the missing rank forever.
/// </remarks>
public abstract class Communicator : IDisposable
{
    private protected Communicator(CommunicatorOptions options) => Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();

    /// <summary>A communicator of one process: rank 0 of 1; every collective returns at once.</summary>
    public static Communicator SingleProcess() => new SingleProcessCommunicator();

    /// <summary>Joins the MPI job this process was launched in (<c>mpirun -np N …</c>; a process started without
    /// mpirun is a job of one). MPI can be started once per process.</summary>
    /// <param name="options">Timeout, bucket size and the library to load; null for the defaults.</param>
    /// <exception cref="NotSupportedException">libmpi cannot be loaded (the message names it and what to install).</exception>
    public static Communicator Mpi(CommunicatorOptions? options = null) => MpiCommunicator.Start(options ?? new CommunicatorOptions());

    /// <summary>Joins the MPI job this process was launched in and builds an NCCL communicator over it for all-reduce and
    /// broadcast of CUDA device buffers (one GPU per process); the unique id is broadcast from rank 0 over MPI.</summary>
    /// <param name="device">This rank's CUDA device.</param>
    /// <param name="options">Timeout, bucket size and the libraries to load; null for the defaults.</param>
    /// <exception cref="NotSupportedException">libnccl or libmpi cannot be loaded, or the device is not a CUDA device.</exception>
    public static Communicator Nccl(Device device, CommunicatorOptions? options = null) => NcclCommunicator.Start(device, options ?? new CommunicatorOptions());

    /// <summary>True when this process was started by an MPI launcher (Open MPI's <c>mpirun</c> sets
    /// <c>OMPI_COMM_WORLD_SIZE</c>; PMI-based launchers such as Slurm's <c>srun</c> set <c>PMI_SIZE</c> or <c>PMIX_RANK</c>).</summary>
    public static bool IsMpiLaunch =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ||
        Environment.GetEnvironmentVariable("PMI_SIZE") is not null ||
        Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>Processes of the same launch on this machine, read from the launcher's environment before MPI starts (1
    /// when not launched by one): what a CPU run divides the cores by.</summary>
    public static int LocalSizeFromEnvironment =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE") ?? Environment.GetEnvironmentVariable("MPI_LOCALNRANKS"),
            out int n) && n > 0 ? n : 1;

    /// <summary>Timeout, bucket size and libraries.</summary>
    public CommunicatorOptions Options { get; }

    /// <summary>This process's index, 0 .. <see cref="Size"/> − 1.</summary>
    public abstract int Rank { get; }

    /// <summary>Number of processes.</summary>
    public abstract int Size { get; }

    /// <summary>What carries the collectives ("single process", "Open MPI 4.1.4", "NCCL 2.x").</summary>
    public abstract string Name { get; }

    /// <summary>True after a collective failed or timed out: the job cannot continue.</summary>
    public bool IsFaulted => Fault is not null;

    /// <summary>Why the communicator is faulted, or null.</summary>
    public Exception? Fault { get; private protected set; }

    /// <summary>Sums <paramref name="values"/> over all ranks, in place, in buckets of
    /// <see cref="CommunicatorOptions.BucketBytes"/>; every rank ends with the same sums.</summary>
    /// <param name="values">The same number of floats on every rank, on this rank's device.</param>
    public void AllReduceSum(Slice<float> values)
    {
        ThrowIfFaulted();
        int bucket = Options.BucketElements;
        for (int start = 0; start < values.Length; start += bucket)
            AllReduceSumBucket(values.Sub(start, Math.Min(bucket, values.Length - start)));
    }

    /// <summary>Sums host values over all ranks, in place (a loss, a count).</summary>
    /// <param name="values">The same number of values on every rank.</param>
    public abstract void AllReduceSum(Span<double> values);

    /// <summary>Overwrites <paramref name="values"/> on every rank with <paramref name="root"/>'s, in buckets.</summary>
    /// <param name="values">The same number of floats on every rank, on this rank's device.</param>
    /// <param name="root">The rank whose values are sent.</param>
    public void Broadcast(Slice<float> values, int root = 0)
    {
        ThrowIfFaulted();
        CheckRoot(root);
        int bucket = Options.BucketElements;
        for (int start = 0; start < values.Length; start += bucket)
            BroadcastBucket(values.Sub(start, Math.Min(bucket, values.Length - start)), root);
    }

    /// <summary>Overwrites host bytes on every rank with <paramref name="root"/>'s (counters, flags).</summary>
    /// <param name="values">The same number of bytes on every rank.</param>
    /// <param name="root">The rank whose bytes are sent.</param>
    public abstract void Broadcast(Span<byte> values, int root = 0);

    /// <summary>Returns when every rank has called it (or throws <see cref="CollectiveTimeoutException"/>).</summary>
    public abstract void Barrier();

    /// <summary>Ends every process of the job now (MPI_Abort) with <paramref name="errorCode"/>: what a rank that failed on
    /// its own does so the others need not wait for it until their timeout. A single process is left running (the caller
    /// reports its own error).</summary>
    /// <param name="errorCode">The exit code the launcher reports.</param>
    public abstract void Abort(int errorCode);

    /// <summary>Shuts the communicator down; a faulted multi-process one aborts the job instead of waiting for the
    /// missing rank.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the communicator.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    private protected abstract void Dispose(bool disposing);

    /// <summary>Sums one bucket (at most <see cref="CommunicatorOptions.BucketElements"/> floats) over the ranks.</summary>
    private protected abstract void AllReduceSumBucket(Slice<float> bucket);

    /// <summary>Broadcasts one bucket from <paramref name="root"/>.</summary>
    private protected abstract void BroadcastBucket(Slice<float> bucket, int root);

    private protected void ThrowIfFaulted()
    {
        if (Fault is { } fault)
            throw new InvalidOperationException($"the communicator is faulted ({fault.Message}); the job cannot continue.", fault);
    }

    private protected void CheckRoot(int root)
    {
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), $"root {root} is not a rank of this job of {Size}.");
    }
}

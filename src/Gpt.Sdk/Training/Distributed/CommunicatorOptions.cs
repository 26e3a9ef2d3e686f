namespace Gpt.Sdk.Training;

/// <summary>How a <see cref="Communicator"/> runs its collectives.</summary>
public sealed record CommunicatorOptions
{
    /// <summary>Environment variable naming the MPI library to load instead of the default (<c>libmpi.so.40</c>, then
    /// <c>libmpi.so</c>).</summary>
    public const string MpiLibraryVariable = "GPT_MPI_LIBRARY";

    /// <summary>Environment variable naming the NCCL library to load instead of <c>libnccl.so.2</c>.</summary>
    public const string NcclLibraryVariable = "GPT_NCCL_LIBRARY";

    /// <summary>The longest a collective may wait for the other ranks before the job is declared broken: long enough
    /// for the slowest rank's step (and its evaluation), short enough that a dead rank does not hold the others for
    /// hours. Default 5 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Bytes per all-reduce bucket: large enough to reach the link's bandwidth, small enough to bound the
    /// library's temporary buffers. Default 25 MiB, PyTorch DDP's default.</summary>
    public int BucketBytes { get; init; } = 25 << 20;

    /// <summary>The MPI library to load (a file name or path); null for <see cref="MpiLibraryVariable"/>, else the
    /// default names.</summary>
    public string? MpiLibrary { get; init; }

    /// <summary>The NCCL library to load; null for <see cref="NcclLibraryVariable"/>, else <c>libnccl.so.2</c>.</summary>
    public string? NcclLibrary { get; init; }

    internal int BucketElements => BucketBytes / sizeof(float);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public CommunicatorOptions Validate()
    {
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"the collective timeout must be positive, got {Timeout}.");
        if (BucketBytes < 1024) throw new ArgumentException($"the bucket size must be at least 1024 bytes, got {BucketBytes}.");
        return this;
    }
}

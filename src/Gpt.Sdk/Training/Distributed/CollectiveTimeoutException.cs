namespace Gpt.Sdk.Training;

/// <summary>A collective did not complete within <see cref="CommunicatorOptions.Timeout"/>: another rank died, hangs,
/// or called a different collective. The job cannot continue; disposing the communicator aborts it.</summary>
public sealed class CollectiveTimeoutException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The collective ("all-reduce", "broadcast", "barrier").</param>
    /// <param name="rank">The rank that timed out.</param>
    /// <param name="timeout">How long it waited.</param>
    /// <param name="missingRanks">Ranks known not to have arrived (empty when that cannot be told).</param>
    public CollectiveTimeoutException(string operation, int rank, TimeSpan timeout, IReadOnlyList<int> missingRanks)
        : base(Describe(operation, rank, timeout, missingRanks))
    {
        Operation = operation;
        Rank = rank;
        Timeout = timeout;
        MissingRanks = missingRanks;
    }

    /// <summary>The collective that timed out.</summary>
    public string Operation { get; }

    /// <summary>The rank that raised the exception.</summary>
    public int Rank { get; }

    /// <summary>How long it waited.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Ranks that did not arrive at the collective (empty when that cannot be told).</summary>
    public IReadOnlyList<int> MissingRanks { get; }

    private static string Describe(string operation, int rank, TimeSpan timeout, IReadOnlyList<int> missing) =>
        $"rank {rank}: {operation} timed out after {timeout.TotalSeconds:0.#} s; " +
        (missing.Count > 0
            ? $"rank{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} did not arrive (dead or hung). "
            : "another rank did not arrive (dead or hung). ") +
        "Aborting the job; restart it to resume from the last checkpoint (raise the collective timeout if a rank is only slow).";
}

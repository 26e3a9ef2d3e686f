namespace Gpt.Sdk.Generation;

/// <summary>
/// A request was refused because the generator's decoding batch was full and so was its queue
/// (<see cref="BatchingOptions.MaxQueuedRequests"/>). Nothing was generated and nothing is held: retry later, raise the limits,
/// or set <see cref="BatchingOptions.WaitWhenQueueFull"/> to wait instead.
/// </summary>
public sealed class GenerationQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception for a queue of <paramref name="queueLimit"/> requests.</summary>
    /// <param name="queueLimit">The queue limit that was reached.</param>
    public GenerationQueueFullException(int queueLimit)
        : base($"the generator is busy: its decoding batch is full and {queueLimit} requests are already queued (BatchingOptions.MaxQueuedRequests). " +
               "Retry later, raise MaxBatchSize or MaxQueuedRequests, or set WaitWhenQueueFull to wait for room.") =>
        QueueLimit = queueLimit;

    /// <summary>The queue limit that was reached.</summary>
    public int QueueLimit { get; }
}

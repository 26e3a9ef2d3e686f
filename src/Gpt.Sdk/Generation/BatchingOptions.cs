namespace Gpt.Sdk.Generation;

/// <summary>
/// How a <see cref="Generator"/> shares the model between concurrent requests. With continuous batching
/// (<see cref="Enabled"/>, the default) every request joins one shared decoding batch at the next step and leaves it when
/// it ends, so sixteen requests cost little more per step than one (a step reads every weight once, whatever the rows);
/// prompts are fed <see cref="PrefillChunkTokens"/> at a time between decoding steps, so a long prompt does not stall the
/// others. Past <see cref="MaxBatchSize"/> rows, requests wait in a queue of at most <see cref="MaxQueuedRequests"/>;
/// past that they are refused with <see cref="GenerationQueueFullException"/>, or wait for room when
/// <see cref="WaitWhenQueueFull"/> is set. Bindable from configuration (<c>"Gpt": { "Batching": { "MaxBatchSize": 8 } }</c>).
/// </summary>
public sealed record BatchingOptions
{
    /// <summary>True (default) to decode concurrent requests in one shared batch; false to give each request its own
    /// batch, decoded on its own (concurrent requests then share the cores rather than the steps).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The most completions decoded together (default 16): each request takes one row per completion
    /// (N, or best-of). A request needing more rows than this runs in a batch of its own, as with batching off.</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>The most requests waiting for room in the batch (default 256); one more is refused, or waits
    /// (<see cref="WaitWhenQueueFull"/>).</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>False (default): a request arriving at a full queue fails at once with <see cref="GenerationQueueFullException"/>,
    /// so a server can answer "busy" (HTTP 429/503). True: it waits for a place in the queue, as long as its cancellation token allows.</summary>
    public bool WaitWhenQueueFull { get; init; }

    /// <summary>Prompt tokens fed per decoding step, across the requests being prefilled (default 64). Smaller keeps the
    /// other requests' token rate steadier while a long prompt arrives; larger reaches a new request's first token in fewer steps.</summary>
    public int PrefillChunkTokens { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its value.</summary>
    /// <returns>These options.</returns>
    public BatchingOptions Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentException($"max batch size must be at least 1 completion, got {MaxBatchSize}; to decode each request on its own, set Enabled to false.", nameof(MaxBatchSize));
        if (MaxQueuedRequests < 1)
            throw new ArgumentException($"max queued requests must be at least 1, got {MaxQueuedRequests}; a queue of zero would refuse every request that arrives while the batch is full.", nameof(MaxQueuedRequests));
        if (PrefillChunkTokens < 1)
            throw new ArgumentException($"prefill chunk tokens must be at least 1, got {PrefillChunkTokens}.", nameof(PrefillChunkTokens));
        return this;
    }
}

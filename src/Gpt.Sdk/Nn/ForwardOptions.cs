using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Nn;

/// <summary>
/// What a forward pass through the transformer may vary besides its tokens: explicit positions and
/// example boundaries (packed fine-tuning batches), a key/value cache (inference), the LoRA adapter to
/// apply, and the dropout seed. The default is a plain causal pass over positions 0 .. T−1 of the base
/// model without dropout.
/// </summary>
public readonly record struct ForwardOptions
{
    /// <summary>Position ids, B×T; by default 0 .. T−1 per row (with a cache: each row's length so far onward).</summary>
    public int[]? Positions { get; init; }

    /// <summary>Per token, the index within its row of the first token of its example, B×T, so attention stays inside
    /// each packed example; null for plain causal attention. Not combined with a cache.</summary>
    public int[]? SegmentStarts { get; init; }

    /// <summary>A key/value cache: the pass feeds rows [<see cref="CacheFirstRow"/>, +B) of it, appends their keys and
    /// values and advances their lengths (inference only: nothing is recorded).</summary>
    public KvCache? Cache { get; init; }

    /// <summary>First cache row fed.</summary>
    public int CacheFirstRow { get; init; }

    /// <summary>The LoRA adapter to apply, or null for the base model.</summary>
    public LoraAdapter? Adapter { get; init; }

    /// <summary>Seed of this pass's dropout masks (used only while the tape is training).</summary>
    public ulong DropoutSeed { get; init; }
}

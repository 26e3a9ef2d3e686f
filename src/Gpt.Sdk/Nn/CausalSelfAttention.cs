using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Multi-head causal self-attention: one projection to queries, keys and values side by side
/// (<c>c_attn</c>), the fused attention kernel, and the output projection (<c>c_proj</c>).
/// </summary>
public sealed class CausalSelfAttention
{
    private readonly int _heads;
    private readonly float _dropout;

    /// <summary>Declares <c>{name}.c_attn</c> (C → 3C) and <c>{name}.c_proj</c> (C → C).</summary>
    /// <param name="parameters">Where the parameters are carved from.</param>
    /// <param name="name">Key prefix, e.g. <c>h.0.attn</c>.</param>
    /// <param name="config">Model shape.</param>
    public CausalSelfAttention(ParameterCollection parameters, string name, GptConfig config)
    {
        QueryKeyValue = new Linear(parameters, $"{name}.c_attn", config.EmbeddingSize, 3 * config.EmbeddingSize);
        Projection = new Linear(parameters, $"{name}.c_proj", config.EmbeddingSize, config.EmbeddingSize);
        _heads = config.HeadCount;
        _dropout = config.Dropout;
    }

    /// <summary>The packed query/key/value projection (C → 3C).</summary>
    public Linear QueryKeyValue { get; }

    /// <summary>The output projection (C → C), a residual projection.</summary>
    public Linear Projection { get; }

    /// <summary>(B, T, C) → (B, T, C).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="input">Normalised residual stream.</param>
    /// <param name="dropoutSeed">Seed for this call's dropout mask.</param>
    public Tensor Forward(Tape tape, Tensor input, ulong dropoutSeed)
    {
        var qkv = QueryKeyValue.Forward(tape, input);          // (B, T, 3C)
        var y = tape.CausalSelfAttention(qkv, _heads);          // (B, T, C)
        y = Projection.Forward(tape, y);
        return tape.Dropout(y, _dropout, dropoutSeed);
    }

    /// <summary>Inference against a key/value cache: (R, T, C) new positions → (R, T, C). Their keys and
    /// values are appended to <paramref name="layer"/>'s part of cache rows [firstRow, firstRow + R),
    /// and each new query attends to every cached position up to its own. No autograd, no dropout.</summary>
    /// <param name="tape">The tape owning the temporaries (not recording).</param>
    /// <param name="input">Normalised residual stream of the new positions.</param>
    /// <param name="cache">The cache; the rows' lengths are not moved here (the model does it after the last layer).</param>
    /// <param name="layer">This block's index.</param>
    /// <param name="past">The rows' lengths before this step, on the device (R).</param>
    /// <param name="firstRow">First cache row fed.</param>
    public Tensor ForwardCached(Tape tape, Tensor input, KvCache cache, int layer, IndexTensor past, int firstRow)
    {
        int rows = input.Shape[0], newLen = input.Shape[1], c = input.Shape[2];
        var qkv = QueryKeyValue.Forward(tape, input);          // (R, T, 3C)
        var keys = cache.Keys(layer, firstRow, rows);           // (R, NH, L, HS)
        var values = cache.Values(layer, firstRow, rows);       // (R, NH, L, HS)
        tape.Device.KvCacheAppend(qkv.Data, keys, values, past.Data, rows, newLen, cache.Capacity, _heads, c / _heads);
        var y = tape.NewTensor(input.Shape);                    // (R, T, C)
        tape.Device.CachedAttentionForward(qkv.Data, keys, values, past.Data, y.Data, rows, newLen, cache.Capacity, _heads, c / _heads);
        return Projection.Forward(tape, y);
    }
}

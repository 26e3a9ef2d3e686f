using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Multi-head causal self-attention: one projection to queries, keys and values side by side
/// (<c>c_attn</c>), the fused attention kernel, and the output projection (<c>c_proj</c>). With a key/value
/// cache the same layer appends the new keys and values and attends over everything cached.
/// </summary>
public sealed class CausalSelfAttention
{
    private readonly int _heads;

    /// <summary>Declares <c>{name}.c_attn</c> (C → 3C) and <c>{name}.c_proj</c> (C → C, a residual projection).</summary>
    /// <param name="segment">Where the parameters are declared.</param>
    /// <param name="name">Module path, e.g. <c>h.0.attn</c>.</param>
    /// <param name="config">Model shape.</param>
    /// <param name="dropout">The residual dropout site of this layer.</param>
    public CausalSelfAttention(ParameterSegment segment, string name, GptConfig config, Dropout dropout)
    {
        QueryKeyValue = new Linear(segment, $"{name}.c_attn", config.EmbeddingSize, 3 * config.EmbeddingSize,
            ParameterInit.Normal(GptConfig.InitStd), storedTransposed: true);
        Projection = new Linear(segment, $"{name}.c_proj", config.EmbeddingSize, config.EmbeddingSize,
            ParameterInit.Normal(config.ResidualInitStd), storedTransposed: true);
        Dropout = dropout;
        _heads = config.HeadCount;
    }

    /// <summary>The packed query/key/value projection (C → 3C).</summary>
    public Linear QueryKeyValue { get; }

    /// <summary>The output projection (C → C).</summary>
    public Linear Projection { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; }

    internal Tensor Forward(Tape tape, Tensor input, int layer, in LayerPass pass)
    {
        var qkv = QueryKeyValue.Forward(tape, input, pass);     // (B, T, 3C)
        var y = pass.Cache is null
            ? tape.CausalSelfAttention(qkv, _heads, pass.SegmentStarts)
            : Cached(tape, qkv, input.Shape, layer, pass);      // (B, T, C)
        y = Projection.Forward(tape, y, pass);
        return Dropout.Forward(tape, y, pass.DropoutSeed);
    }

    // The new keys and values join the cache, then each new query attends to every cached position up to its own.
    private Tensor Cached(Tape tape, Tensor qkv, Shape shape, int layer, in LayerPass pass)
    {
        var cache = pass.Cache!;
        int rows = shape[0], newLen = shape[1], headSize = shape[2] / _heads;
        var keys = cache.Keys(layer, pass.FirstRow, rows);      // (R, NH, L, HS)
        var values = cache.Values(layer, pass.FirstRow, rows);  // (R, NH, L, HS)
        var past = pass.PastLengths!.Data;
        tape.Device.KvCacheAppend(qkv.Data, keys, values, past, rows, newLen, cache.Capacity, _heads, headSize);
        var y = tape.NewTensor(shape);
        tape.Device.CachedAttentionForward(qkv.Data, keys, values, past, y.Data, rows, newLen, cache.Capacity, _heads, headSize);
        return y;
    }
}

using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
public sealed class Block
{
    /// <summary>Declares the block's parameters under <c>h.{index}</c>.</summary>
    /// <param name="parameters">Where the parameters are carved from.</param>
    /// <param name="index">Block number, from 0.</param>
    /// <param name="config">Model shape.</param>
    public Block(ParameterCollection parameters, int index, GptConfig config)
    {
        string name = $"h.{index}";
        Index = index;
        Norm1 = new LayerNorm(parameters, $"{name}.ln_1", config.EmbeddingSize, config.LayerNormEpsilon);
        Attention = new CausalSelfAttention(parameters, $"{name}.attn", config);
        Norm2 = new LayerNorm(parameters, $"{name}.ln_2", config.EmbeddingSize, config.LayerNormEpsilon);
        Mlp = new Mlp(parameters, $"{name}.mlp", config);
    }

    /// <summary>Block number, from 0.</summary>
    public int Index { get; }

    /// <summary>LayerNorm before attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The attention sub-layer.</summary>
    public CausalSelfAttention Attention { get; }

    /// <summary>LayerNorm before the MLP.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The MLP sub-layer.</summary>
    public Mlp Mlp { get; }

    /// <summary>(B, T, C) → (B, T, C).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="x">The residual stream.</param>
    /// <param name="dropoutSeed">Seed of this block's dropout masks.</param>
    public Tensor Forward(Tape tape, Tensor x, ulong dropoutSeed)
    {
        x = tape.Add(x, Attention.Forward(tape, Norm1.Forward(tape, x), dropoutSeed));
        return tape.Add(x, Mlp.Forward(tape, Norm2.Forward(tape, x), dropoutSeed ^ 0x5bd1e995UL));
    }

    /// <summary>Inference against a key/value cache: (R, T, C) new positions → (R, T, C); see
    /// <see cref="CausalSelfAttention.ForwardCached"/>.</summary>
    /// <param name="tape">The tape owning the temporaries (not recording, not training).</param>
    /// <param name="x">The residual stream of the new positions.</param>
    /// <param name="cache">The cache.</param>
    /// <param name="past">The rows' lengths before this step, on the device.</param>
    /// <param name="firstRow">First cache row fed.</param>
    public Tensor ForwardCached(Tape tape, Tensor x, KvCache cache, IndexTensor past, int firstRow)
    {
        x = tape.Add(x, Attention.ForwardCached(tape, Norm1.Forward(tape, x), cache, Index, past, firstRow));
        return tape.Add(x, Mlp.Forward(tape, Norm2.Forward(tape, x), 0));
    }
}

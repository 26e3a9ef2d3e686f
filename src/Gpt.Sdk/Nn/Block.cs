using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
public sealed class Block
{
    /// <summary>Declares the block's parameters under <c>h.{index}</c>.</summary>
    /// <param name="segment">Where the parameters are declared.</param>
    /// <param name="index">Block number, from 0.</param>
    /// <param name="config">Model shape.</param>
    public Block(ParameterSegment segment, int index, GptConfig config)
    {
        string name = $"h.{index}";
        Index = index;
        Norm1 = new LayerNorm(segment, $"{name}.ln_1", config.EmbeddingSize, config.LayerNormEpsilon);
        Attention = new CausalSelfAttention(segment, $"{name}.attn", config, new Dropout(config.Dropout, 2 * (ulong)index + 1));
        Norm2 = new LayerNorm(segment, $"{name}.ln_2", config.EmbeddingSize, config.LayerNormEpsilon);
        Mlp = new Mlp(segment, $"{name}.mlp", config, new Dropout(config.Dropout, 2 * (ulong)index + 2));
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

    /// <summary>The block's four linear layers, in order.</summary>
    public IEnumerable<Linear> Linears => [Attention.QueryKeyValue, Attention.Projection, Mlp.Expand, Mlp.Projection];

    internal Tensor Forward(Tape tape, Tensor x, in LayerPass pass)        // (B, T, C) → (B, T, C)
    {
        x = tape.Add(x, Attention.Forward(tape, Norm1.Forward(tape, x), Index, pass));
        return tape.Add(x, Mlp.Forward(tape, Norm2.Forward(tape, x), pass));
    }
}

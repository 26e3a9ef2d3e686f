using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>The position-wise feed-forward network: C → 4C, GELU, 4C → C.</summary>
public sealed class Mlp
{
    /// <summary>Declares <c>{name}.c_fc</c> and <c>{name}.c_proj</c> (a residual projection).</summary>
    /// <param name="segment">Where the parameters are declared.</param>
    /// <param name="name">Module path, e.g. <c>h.0.mlp</c>.</param>
    /// <param name="config">Model shape.</param>
    /// <param name="dropout">The residual dropout site of this layer.</param>
    public Mlp(ParameterSegment segment, string name, GptConfig config, Dropout dropout)
    {
        Expand = new Linear(segment, $"{name}.c_fc", config.EmbeddingSize, config.MlpSize,
            ParameterInit.Normal(GptConfig.InitStd), storedTransposed: true);
        Projection = new Linear(segment, $"{name}.c_proj", config.MlpSize, config.EmbeddingSize,
            ParameterInit.Normal(config.ResidualInitStd), storedTransposed: true);
        Dropout = dropout;
    }

    /// <summary>C → 4C.</summary>
    public Linear Expand { get; }

    /// <summary>4C → C.</summary>
    public Linear Projection { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; }

    internal Tensor Forward(Tape tape, Tensor input, in LayerPass pass)
    {
        var h = Expand.Forward(tape, input, pass);              // (B, T, 4C)
        h = tape.Gelu(h);
        h = Projection.Forward(tape, h, pass);                  // (B, T, C)
        return Dropout.Forward(tape, h, pass.DropoutSeed);
    }
}

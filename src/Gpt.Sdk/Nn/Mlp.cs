using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>The position-wise feed-forward network: C → 4C, GELU, 4C → C.</summary>
public sealed class Mlp
{
    private readonly float _dropout;

    /// <summary>Declares <c>{name}.c_fc</c> and <c>{name}.c_proj</c>.</summary>
    /// <param name="parameters">Where the parameters are carved from.</param>
    /// <param name="name">Key prefix, e.g. <c>h.0.mlp</c>.</param>
    /// <param name="config">Model shape.</param>
    public Mlp(ParameterCollection parameters, string name, GptConfig config)
    {
        Expand = new Linear(parameters, $"{name}.c_fc", config.EmbeddingSize, config.MlpSize);
        Projection = new Linear(parameters, $"{name}.c_proj", config.MlpSize, config.EmbeddingSize);
        _dropout = config.Dropout;
    }

    /// <summary>C → 4C.</summary>
    public Linear Expand { get; }

    /// <summary>4C → C, a residual projection.</summary>
    public Linear Projection { get; }

    /// <summary>(B, T, C) → (B, T, C).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="input">Normalised residual stream.</param>
    /// <param name="dropoutSeed">Seed for this call's dropout mask.</param>
    public Tensor Forward(Tape tape, Tensor input, ulong dropoutSeed)
    {
        var h = Expand.Forward(tape, input);                    // (B, T, 4C)
        h = tape.Gelu(h);
        h = Projection.Forward(tape, h);                        // (B, T, C)
        return tape.Dropout(h, _dropout, dropoutSeed);
    }
}

using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// y = x·Wᵀ + b with W stored (out, in), as <c>nn.Linear</c>. GPT-2's checkpoints store these
/// layers as <c>Conv1D</c> with W (in, out); the file layer transposes on load and save.
/// </summary>
public sealed class Linear
{
    /// <summary>Declares the layer's parameters <c>{name}.weight</c> (out, in) and <c>{name}.bias</c> (out).</summary>
    /// <param name="parameters">Where the parameters are carved from.</param>
    /// <param name="name">Key prefix, e.g. <c>h.0.attn.c_attn</c>.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    public Linear(ParameterCollection parameters, string name, int inFeatures, int outFeatures)
    {
        Weight = parameters.Add($"{name}.weight", new Shape(outFeatures, inFeatures));
        Bias = parameters.Add($"{name}.bias", new Shape(outFeatures));
    }

    /// <summary>The weight (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>The bias (out).</summary>
    public Parameter Bias { get; }

    /// <summary>Applies the layer to (…, in), giving (…, out).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="input">The input.</param>
    public Tensor Forward(Tape tape, Tensor input) => tape.Linear(input, Weight.Value, Bias.Value);
}

using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>LayerNorm over the channel dimension with a learned gain and shift.</summary>
public sealed class LayerNorm
{
    private readonly float _epsilon;

    /// <summary>Declares <c>{name}.weight</c> (ones) and <c>{name}.bias</c> (zeros), both (size).</summary>
    /// <param name="segment">Where the parameters are declared.</param>
    /// <param name="name">Key prefix, e.g. <c>h.0.ln_1</c>.</param>
    /// <param name="size">Channel count.</param>
    /// <param name="epsilon">Added to the variance.</param>
    public LayerNorm(ParameterSegment segment, string name, int size, float epsilon)
    {
        ArgumentNullException.ThrowIfNull(segment);
        Weight = segment.Declare($"{name}.weight", new Shape(size), ParameterInit.Ones);
        Bias = segment.Declare($"{name}.bias", new Shape(size), ParameterInit.Zeros);
        _epsilon = epsilon;
    }

    /// <summary>The gain (size), initialised to one.</summary>
    public Parameter Weight { get; }

    /// <summary>The shift (size), initialised to zero.</summary>
    public Parameter Bias { get; }

    /// <summary>Normalises (…, size).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="input">The input.</param>
    public Tensor Forward(Tape tape, Tensor input) => tape.LayerNorm(input, Weight.Value, Bias.Value, _epsilon);
}

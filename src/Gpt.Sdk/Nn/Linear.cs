using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// y = x·Wᵀ + b with W stored (out, in), as <c>nn.Linear</c>. GPT-2's checkpoints store these layers as
/// <c>Conv1D</c> with W (in, out), which the weight's declaration says, so files are transposed on load and
/// save. A LoRA adapter chosen for the pass adds its low-rank update here.
/// </summary>
public sealed class Linear
{
    /// <summary>Declares <c>{name}.weight</c> (out, in) and <c>{name}.bias</c> (out) in <paramref name="segment"/>.</summary>
    /// <param name="segment">Where the parameters are declared.</param>
    /// <param name="name">Module path, e.g. <c>h.0.attn.c_attn</c>.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="weightInit">The weight's initialisation.</param>
    /// <param name="storedTransposed">True for GPT-2's Conv1D layers (files hold W as (in, out)).</param>
    public Linear(ParameterSegment segment, string name, int inFeatures, int outFeatures, ParameterInit weightInit, bool storedTransposed)
    {
        ArgumentNullException.ThrowIfNull(segment);
        Name = name;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = segment.Declare($"{name}.weight", new Shape(outFeatures, inFeatures), weightInit, storedTransposed);
        Bias = segment.Declare($"{name}.bias", new Shape(outFeatures), ParameterInit.Zeros);
    }

    /// <summary>Module path, e.g. <c>h.0.attn.c_attn</c> (what LoRA's target modules match).</summary>
    public string Name { get; }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>The bias (out).</summary>
    public Parameter Bias { get; }

    /// <summary>Applies the base layer only to (…, in), giving (…, out).</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="input">The input.</param>
    public Tensor Forward(Tape tape, Tensor input) =>
        Weight.Compact is { } compact ? tape.CompactLinear(input, compact, Bias.Value) : tape.Linear(input, Weight.Value, Bias.Value);

    internal Tensor Forward(Tape tape, Tensor input, in LayerPass pass)
    {
        var output = Forward(tape, input);
        var lora = pass.Adapter?.LayerFor(this);
        return lora is null ? output : lora.Forward(tape, input, output, pass.DropoutSeed);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({InFeatures} → {OutFeatures})";
}

using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn.Lora;

/// <summary>
/// The LoRA update of one linear layer (Hu et al. 2021): y = W·x + b + s·B·A·dropout(x), with A (r, in) and
/// B (out, r) — PEFT's <c>lora_A.weight</c> and <c>lora_B.weight</c> — and s = alpha/r (or alpha/√r). A starts
/// Kaiming-uniform and B zero, so a new adapter leaves the layer unchanged. The base layer is never copied:
/// the update is added to its output, or folded into its weight by <see cref="LoraAdapter.Merge"/>.
/// </summary>
public sealed class LoraLayer
{
    internal LoraLayer(ParameterSegment segment, Linear target, LoraConfig config, ulong dropoutSite)
    {
        Target = target;
        Scaling = config.Scaling;
        A = segment.Declare($"{target.Name}.lora_A.weight", new Shape(config.Rank, target.InFeatures), ParameterInit.KaimingUniform(target.InFeatures));
        B = segment.Declare($"{target.Name}.lora_B.weight", new Shape(target.OutFeatures, config.Rank), ParameterInit.Zeros);
        Dropout = new Dropout(config.Dropout, dropoutSite);
    }

    /// <summary>The adapted layer.</summary>
    public Linear Target { get; }

    /// <summary>Down-projection A (r, in).</summary>
    public Parameter A { get; }

    /// <summary>Up-projection B (out, r).</summary>
    public Parameter B { get; }

    /// <summary>The factor s applied to B·A·x.</summary>
    public float Scaling { get; }

    /// <summary>Dropout on the adapter's input.</summary>
    public Dropout Dropout { get; }

    /// <summary>Adds the update to the base layer's output: (…, out) + s·B·A·dropout(x).</summary>
    internal Tensor Forward(Tape tape, Tensor input, Tensor baseOutput, ulong dropoutSeed)
    {
        var x = Dropout.Forward(tape, input, dropoutSeed);
        var down = tape.Linear(x, A.Value, bias: null);              // (…, r)
        return tape.AddLinear(baseOutput, down, B.Value, Scaling);   // (…, out) = base + s·down·Bᵀ, B·A·x never stored apart
    }

    /// <summary>W += sign·s·B·A on the device (sign −1 undoes a merge, to rounding).</summary>
    internal void FoldInto(float sign)
    {
        var device = Target.Weight.Value.Device;
        // (out, in) += sign·s · (out, r) · (r, in)
        device.MatMul(B.Value.Data, A.Value.Data, Target.Weight.Value.Data, Target.OutFeatures, Target.InFeatures, A.Shape[0],
            transA: false, transB: false, alpha: sign * Scaling, beta: 1f, bias: Slice<float>.Empty);
    }
}

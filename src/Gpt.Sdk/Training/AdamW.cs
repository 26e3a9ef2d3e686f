using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// AdamW with decoupled weight decay applied to matrices and embeddings only (never to biases or
/// LayerNorm gains). Moments live in two buffers parallel to the parameter buffer.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly ParameterCollection _parameters;

    /// <summary>Creates zeroed moments for every parameter of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimise.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator floor.</param>
    /// <param name="weightDecay">Decoupled decay rate for matrices.</param>
    public AdamW(ParameterCollection parameters, float beta1 = 0.9f, float beta2 = 0.95f, float epsilon = 1e-8f, float weightDecay = 0.1f)
    {
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1), got {beta2}.");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive, got {epsilon}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be non-negative, got {weightDecay}.");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        var device = parameters.Device;
        FirstMoment = device.Allocate<float>(parameters.Count);
        SecondMoment = device.Allocate<float>(parameters.Count);
        device.Fill(new Slice<float>(FirstMoment, 0, parameters.Count), 0f, parameters.Count);
        device.Fill(new Slice<float>(SecondMoment, 0, parameters.Count), 0f, parameters.Count);
    }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>Denominator floor.</summary>
    public float Epsilon { get; }

    /// <summary>Decoupled decay rate for matrices.</summary>
    public float WeightDecay { get; }

    /// <summary>Number of updates applied (bias correction uses it).</summary>
    public int StepCount { get; internal set; }

    /// <summary>Running mean of gradients, parallel to the parameter buffer.</summary>
    public DeviceBuffer<float> FirstMoment { get; }

    /// <summary>Running mean of squared gradients, parallel to the parameter buffer.</summary>
    public DeviceBuffer<float> SecondMoment { get; }

    /// <summary>Applies one update from the accumulated gradients, skipping frozen parameters.</summary>
    /// <param name="learningRate">This step's rate.</param>
    /// <param name="gradientScale">Multiplies every gradient first (clipping, averaging).</param>
    public void Step(float learningRate, float gradientScale = 1f)
    {
        int step = ++StepCount;
        var device = _parameters.Device;
        var items = _parameters.Items;
        for (int i = 0; i < items.Count; i++) // indexed: foreach over the interface would box an enumerator every step
        {
            var p = items[i];
            if (p.Frozen) continue;
            int n = p.Value.Length;
            device.AdamWStep(p.Value.Data, p.Value.Grad!.Data, new Slice<float>(FirstMoment, p.Offset, n), new Slice<float>(SecondMoment, p.Offset, n),
                n, learningRate, Beta1, Beta2, Epsilon, p.Decays ? WeightDecay : 0f, step, gradientScale);
        }
    }

    /// <summary>Frees the moment buffers.</summary>
    public void Dispose()
    {
        FirstMoment.Dispose();
        SecondMoment.Dispose();
    }
}

using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// AdamW with decoupled weight decay applied to matrices and embeddings only (never to biases or
/// LayerNorm gains), over the trainable <see cref="ParameterSegment"/>s it is given. Moments exist only
/// for those segments: a LoRA run keeps none for the frozen base.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly ParameterSegment[] _segments;
    private readonly DeviceBuffer<float>[] _first, _second;

    /// <summary>Creates zeroed moments for one segment.</summary>
    /// <param name="segment">A trainable segment.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator floor.</param>
    /// <param name="weightDecay">Decoupled decay rate for matrices.</param>
    public AdamW(ParameterSegment segment, float beta1 = 0.9f, float beta2 = 0.95f, float epsilon = 1e-8f, float weightDecay = 0.1f)
        : this([segment ?? throw new ArgumentNullException(nameof(segment))], beta1, beta2, epsilon, weightDecay)
    {
    }

    /// <summary>Creates zeroed moments for every segment of <paramref name="segments"/>.</summary>
    /// <param name="segments">Trainable segments (each at most once).</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator floor.</param>
    /// <param name="weightDecay">Decoupled decay rate for matrices.</param>
    public AdamW(IEnumerable<ParameterSegment> segments, float beta1 = 0.9f, float beta2 = 0.95f, float epsilon = 1e-8f, float weightDecay = 0.1f)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1), got {beta2}.");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"epsilon must be positive, got {epsilon}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be non-negative, got {weightDecay}.");
        _segments = segments.Distinct().ToArray();
        if (_segments.Length == 0) throw new ArgumentException("no parameter segments to optimise.", nameof(segments));
        foreach (var s in _segments)
        {
            if (!s.Trainable) throw new ArgumentException($"segment '{s.Name}' is frozen; make it trainable or leave it out.", nameof(segments));
            s.AllocateGradients();
        }
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _first = new DeviceBuffer<float>[_segments.Length];
        _second = new DeviceBuffer<float>[_segments.Length];
        for (int i = 0; i < _segments.Length; i++)
        {
            var s = _segments[i];
            _first[i] = s.Device.Allocate<float>(s.Count);
            _second[i] = s.Device.Allocate<float>(s.Count);
            s.Device.Fill(new Slice<float>(_first[i], 0, s.Count), 0f, s.Count);
            s.Device.Fill(new Slice<float>(_second[i], 0, s.Count), 0f, s.Count);
        }
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

    /// <summary>The segments optimised, in order.</summary>
    public IReadOnlyList<ParameterSegment> Segments => _segments;

    /// <summary>Bytes of device memory the moments hold.</summary>
    public long MomentBytes => _segments.Sum(s => 2L * s.Count * sizeof(float));

    /// <summary>The running means of gradients and of squared gradients of a segment, parallel to its values.</summary>
    /// <param name="segment">One of <see cref="Segments"/>.</param>
    public (DeviceBuffer<float> First, DeviceBuffer<float> Second) MomentsOf(ParameterSegment segment)
    {
        int i = Array.IndexOf(_segments, segment);
        if (i < 0) throw new ArgumentException($"segment '{segment?.Name}' is not optimised by this AdamW.", nameof(segment));
        return (_first[i], _second[i]);
    }

    /// <summary>Sets the gradients of every optimised segment to zero.</summary>
    public void ZeroGradients()
    {
        foreach (var s in _segments) s.ZeroGradients();
    }

    /// <summary>The global L2 norm of the gradients of every optimised segment.</summary>
    public double GradientNorm()
    {
        double sum = 0;
        foreach (var s in _segments) sum += s.Device.SumOfSquares(s.AllGradients);
        return Math.Sqrt(sum);
    }

    /// <summary>Applies one update from the accumulated gradients.</summary>
    /// <param name="learningRate">This step's rate.</param>
    /// <param name="gradientScale">Multiplies every gradient first (clipping, averaging).</param>
    public void Step(float learningRate, float gradientScale = 1f)
    {
        int step = ++StepCount;
        for (int s = 0; s < _segments.Length; s++)
        {
            var segment = _segments[s];
            if (!segment.Trainable)
                throw new InvalidOperationException($"segment '{segment.Name}' was frozen after the optimizer was made; make a new optimizer.");
            var items = segment.Items;
            for (int i = 0; i < items.Count; i++) // indexed: foreach over the interface would box an enumerator every step
            {
                var p = items[i];
                int n = p.Value.Length;
                segment.Device.AdamWStep(p.Value.Data, p.Value.Grad!.Data, new Slice<float>(_first[s], p.Offset, n), new Slice<float>(_second[s], p.Offset, n),
                    n, learningRate, Beta1, Beta2, Epsilon, p.Decays ? WeightDecay : 0f, step, gradientScale);
            }
        }
    }

    /// <summary>Frees the moment buffers.</summary>
    public void Dispose()
    {
        foreach (var b in _first) b.Dispose();
        foreach (var b in _second) b.Dispose();
    }
}

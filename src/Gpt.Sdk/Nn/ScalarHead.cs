using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// A scalar head on the trunk (a reward model's score, PPO's value): a linear map C → 1 of the hidden
/// state at chosen positions. Its weights are a segment of their own, saved with the model folder as
/// <c>{name}.weight</c> (1, C) and <c>{name}.bias</c> (1).
/// </summary>
public sealed class ScalarHead : IDisposable
{
    /// <summary>Creates a head for hidden states of width <paramref name="width"/>, weight N(0, std²) and bias zero.</summary>
    /// <param name="name">The head's name, e.g. <c>score</c> or <c>value</c> (its key prefix in files).</param>
    /// <param name="width">C, the trunk's width.</param>
    /// <param name="device">Where the weights live.</param>
    /// <param name="seed">Seed of the initial weight.</param>
    /// <param name="std">Initial weight spread (the default is 1/√(C+1), as Hugging Face's value heads).</param>
    public ScalarHead(string name, int width, Device device, ulong seed = 0, float? std = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Name = name;
        Parameters = new ParameterSegment($"head:{name}");
        Projection = new Linear(Parameters, name, width, 1, ParameterInit.Normal(std ?? 1f / MathF.Sqrt(width + 1)), storedTransposed: false);
        Parameters.Allocate(device);
        Parameters.Initialize(seed);
    }

    /// <summary>The head's name.</summary>
    public string Name { get; }

    /// <summary>The head's weights (a segment of their own).</summary>
    public ParameterSegment Parameters { get; }

    /// <summary>The map C → 1.</summary>
    public Linear Projection { get; }

    /// <summary>Scores (N) of the hidden states at the given flat positions of (B, T, C): position b·T + t.</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="hidden">Trunk output (B, T, C).</param>
    /// <param name="positions">N flat positions, e.g. each sequence's last real token.</param>
    public Tensor Forward(Tape tape, Tensor hidden, ReadOnlySpan<int> positions)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(hidden);
        int rows = hidden.Shape.Rows;
        foreach (int p in positions)
            if ((uint)p >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} is outside the {rows} positions of the hidden states.");
        var selected = tape.SelectRows(hidden, tape.Indices(positions));         // (N, C)
        var scores = Projection.Forward(tape, selected);                          // (N, 1)
        scores.Shape = new Shape(positions.Length);
        return scores;
    }

    /// <summary>Frees the weights.</summary>
    public void Dispose() => Parameters.Dispose();
}

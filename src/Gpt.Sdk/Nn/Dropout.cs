using Gpt.Kernels.Random;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// One dropout site of a model. Each site gets a distinct number when the model is built, and its mask
/// seed is derived here, from the forward pass's seed and that number, so a pass takes a single seed
/// and no layer invents its own constant.
/// </summary>
public sealed class Dropout
{
    private readonly ulong _site;

    /// <summary>Creates a site.</summary>
    /// <param name="probability">Drop probability in [0, 1).</param>
    /// <param name="site">A number unique among the sites of one forward pass.</param>
    public Dropout(float probability, ulong site)
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), $"dropout probability must be in [0, 1), got {probability}.");
        Probability = probability;
        _site = site;
    }

    /// <summary>Drop probability.</summary>
    public float Probability { get; }

    /// <summary>Applies inverted dropout while the tape is training; the identity otherwise.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Any shape.</param>
    /// <param name="passSeed">The forward pass's dropout seed.</param>
    public Tensor Forward(Tape tape, Tensor x, ulong passSeed) =>
        Probability == 0 ? x : tape.Dropout(x, Probability, CounterRng.Hash(passSeed, _site));
}

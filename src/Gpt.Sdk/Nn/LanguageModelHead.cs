using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// The language-modelling head: logits = hidden · wteᵀ, tied to the token embedding as in GPT-2 (no
/// parameters of its own). From one set of logits a caller takes the mean loss
/// (<see cref="TensorOps.CrossEntropy"/>), per-token log-probabilities (<see cref="TensorOps.TokenLogProbs"/>),
/// or both, so one trunk pass serves them all.
/// </summary>
public sealed class LanguageModelHead
{
    internal LanguageModelHead(Parameter tokenEmbedding) => Weight = tokenEmbedding;

    /// <summary>The tied weight (V, C): the token embedding.</summary>
    public Parameter Weight { get; }

    /// <summary>Vocabulary size V.</summary>
    public int VocabularySize => Weight.Shape[0];

    /// <summary>(…, C) hidden states → (…, V) logits.</summary>
    /// <param name="tape">The tape to record on.</param>
    /// <param name="hidden">Trunk output.</param>
    public Tensor Logits(Tape tape, Tensor hidden) =>
        Weight.Compact is { } compact ? tape.CompactLinear(hidden, compact, bias: null) : tape.Linear(hidden, Weight.Value, bias: null);

    /// <summary>Checks next-token targets (−1 or an id below V) and returns how many carry loss.</summary>
    /// <param name="targets">One target per position.</param>
    /// <exception cref="ArgumentException">A target is out of the vocabulary, or none carries loss.</exception>
    public int CheckTargets(ReadOnlySpan<int> targets)
    {
        int counted = 0;
        foreach (int t in targets)
        {
            if (t >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target id {t} is outside the vocabulary of {VocabularySize} tokens.");
            if (t >= 0) counted++;
        }

        return counted;
    }
}

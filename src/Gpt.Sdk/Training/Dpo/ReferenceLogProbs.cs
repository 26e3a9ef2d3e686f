using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// The reference model's log π_ref(chosen) and log π_ref(rejected) of every pair, computed once, before training, with the
/// model as it is then (a full fine-tune's starting weights; under a LoRA policy the base with the adapter off), and kept
/// as two floats per pair: the reference never needs a second copy of the weights, nor a second forward pass per step.
/// </summary>
internal sealed class ReferenceLogProbs
{
    private readonly Dictionary<TokenizedPreference, int> _index = new(ReferenceEqualityComparer.Instance);
    private readonly List<float> _values = [];

    /// <summary>Pairs held.</summary>
    public int Count => _index.Count;

    /// <summary>Runs <paramref name="model"/> (under <paramref name="adapter"/>, null for the base) over every pair of the
    /// datasets, <paramref name="promptsPerPass"/> prompts per forward pass, without gradients or dropout.</summary>
    public static ReferenceLogProbs Compute(GptModel model, LoraAdapter? adapter, IEnumerable<PreferenceDataset> datasets, int promptsPerPass, bool average,
        CancellationToken cancellationToken)
    {
        var reference = new ReferenceLogProbs();
        using var tape = new Tape(model.Device);
        using var noGrad = tape.NoGrad();
        var pairs = new List<TokenizedPreference>();
        foreach (var dataset in datasets)
            for (int first = 0; first < dataset.Groups.Count; first += promptsPerPass)
            {
                cancellationToken.ThrowIfCancellationRequested();
                pairs.Clear();
                for (int g = first; g < Math.Min(first + promptsPerPass, dataset.Groups.Count); g++)
                    foreach (var pair in dataset.Groups[g])
                        if (!reference._index.ContainsKey(pair)) pairs.Add(pair);
                if (pairs.Count == 0) continue;
                tape.Reset();
                float[] rows = SequenceLogProbs.Of(tape, model, PreferenceBatch.Create(pairs), adapter, dropoutSeed: 0, average).ToArray();  // (2N)
                for (int i = 0; i < pairs.Count; i++)
                {
                    reference._index[pairs[i]] = reference._values.Count;
                    reference._values.Add(rows[i]);
                    reference._values.Add(rows[pairs.Count + i]);
                }
            }
        return reference;
    }

    /// <summary>log π_ref of the pair's chosen and rejected response.</summary>
    public (float Chosen, float Rejected) this[TokenizedPreference pair] =>
        _index.TryGetValue(pair, out int i)
            ? (_values[i], _values[i + 1])
            : throw new ArgumentException("this pair has no reference log-probabilities: it is not in the data they were computed for.", nameof(pair));

    /// <summary>Fills the reference values of <paramref name="pairs"/>, in order.</summary>
    public void Fill(IReadOnlyList<TokenizedPreference> pairs, Span<float> chosen, Span<float> rejected)
    {
        for (int i = 0; i < pairs.Count; i++) (chosen[i], rejected[i]) = this[pairs[i]];
    }
}

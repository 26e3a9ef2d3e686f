namespace Gpt.Sdk.Training;

/// <summary>Running sums of a reward model's pairwise results: how often the chosen response scores higher (a tie counts
/// as wrong), by how much, and the two mean scores.</summary>
internal sealed class PairwiseStatistics
{
    private double _loss, _correct, _margin, _chosen, _rejected;

    /// <summary>Pairs counted.</summary>
    public int Pairs { get; private set; }

    /// <summary>Mean loss over the pairs counted (each batch's mean weighted by its pairs).</summary>
    public double Loss => _loss / Math.Max(Pairs, 1);

    /// <summary>Fraction of pairs with r_chosen &gt; r_rejected.</summary>
    public double Accuracy => _correct / Math.Max(Pairs, 1);

    /// <summary>Mean r_chosen − r_rejected.</summary>
    public double Margin => _margin / Math.Max(Pairs, 1);

    /// <summary>Mean r_chosen.</summary>
    public double ChosenReward => _chosen / Math.Max(Pairs, 1);

    /// <summary>Mean r_rejected.</summary>
    public double RejectedReward => _rejected / Math.Max(Pairs, 1);

    public void Clear()
    {
        _loss = _correct = _margin = _chosen = _rejected = 0;
        Pairs = 0;
    }

    /// <summary>Adds a batch: its mean loss and its pairs' scores.</summary>
    public void Add(float meanLoss, ReadOnlySpan<float> chosen, ReadOnlySpan<float> rejected)
    {
        _loss += (double)meanLoss * chosen.Length;
        for (int i = 0; i < chosen.Length; i++)
        {
            if (chosen[i] > rejected[i]) _correct++;
            _margin += (double)chosen[i] - rejected[i];
            _chosen += chosen[i];
            _rejected += rejected[i];
        }

        Pairs += chosen.Length;
    }
}

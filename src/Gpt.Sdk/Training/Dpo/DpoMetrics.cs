namespace Gpt.Sdk.Training;

/// <summary>
/// TRL's DPO metrics, averaged over the pairs added: the implicit rewards β·(log π − log π_ref) of the chosen and rejected
/// responses (<c>rewards/chosen</c>, <c>rewards/rejected</c>), the fraction of pairs whose chosen reward is higher
/// (<c>rewards/accuracies</c>; a tie counts as wrong, as there), their mean difference (<c>rewards/margins</c>), and the
/// policy's log-probabilities (<c>logps/chosen</c>, <c>logps/rejected</c>), under snake_case names for metrics.jsonl.
/// </summary>
internal sealed class DpoMetrics
{
    public const string RewardChosen = "reward_chosen", RewardRejected = "reward_rejected", RewardAccuracy = "reward_accuracy",
        RewardMargin = "reward_margin", LogProbChosen = "logp_chosen", LogProbRejected = "logp_rejected";

    private readonly Dictionary<string, double> _values = [];
    private double _chosenReward, _rejectedReward, _correct, _chosen, _rejected, _loss;
    private int _pairs;

    /// <summary>Pairs added since the last <see cref="Clear"/>.</summary>
    public int Pairs => _pairs;

    /// <summary>Mean loss over the pairs added (each batch's mean weighted by its pairs).</summary>
    public double Loss => _loss / Math.Max(_pairs, 1);

    public void Clear()
    {
        _chosenReward = _rejectedReward = _correct = _chosen = _rejected = _loss = 0;
        _pairs = 0;
    }

    /// <summary>Adds a batch: its mean loss and, per pair, the policy's and reference's log-probabilities.</summary>
    public void Add(float meanLoss, ReadOnlySpan<float> chosen, ReadOnlySpan<float> rejected, ReadOnlySpan<float> referenceChosen,
        ReadOnlySpan<float> referenceRejected, float beta)
    {
        for (int i = 0; i < chosen.Length; i++)
        {
            double chosenReward = beta * ((double)chosen[i] - referenceChosen[i]);
            double rejectedReward = beta * ((double)rejected[i] - referenceRejected[i]);
            _chosenReward += chosenReward;
            _rejectedReward += rejectedReward;
            if (chosenReward > rejectedReward) _correct++;
            _chosen += chosen[i];
            _rejected += rejected[i];
        }
        _loss += (double)meanLoss * chosen.Length;
        _pairs += chosen.Length;
    }

    /// <summary>The means, by name (one dictionary, refreshed by each call).</summary>
    public IReadOnlyDictionary<string, double> Values()
    {
        double n = Math.Max(_pairs, 1);
        _values[RewardChosen] = _chosenReward / n;
        _values[RewardRejected] = _rejectedReward / n;
        _values[RewardAccuracy] = _correct / n;
        _values[RewardMargin] = (_chosenReward - _rejectedReward) / n;
        _values[LogProbChosen] = _chosen / n;
        _values[LogProbRejected] = _rejected / n;
        return _values;
    }
}

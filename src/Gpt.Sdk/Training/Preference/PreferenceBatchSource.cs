using Gpt.Kernels.Random;

namespace Gpt.Sdk.Training;

/// <summary>
/// Batches of whole prompts (groups) of a <see cref="PreferenceDataset"/>: a batch takes <see cref="PromptsPerBatch"/>
/// groups, so every pair of a ranked list is in the same batch (InstructGPT trained a prompt's K·(K−1)/2 comparisons
/// together, so they don't overfit one by one). Each epoch visits every group once in a permutation drawn from
/// (seed, epoch); the last batch of an epoch holds what is left, never groups of the next one. The stream is a pure
/// function of the seed and <see cref="Position"/>, so a run resumed at a stored position continues identically.
/// Not thread-safe.
/// </summary>
internal sealed class PreferenceBatchSource
{
    // The order's own stream, independent of other draws from the same seed (the split, init, dropout).
    private const ulong OrderStream = 0x0D3F;

    private readonly CounterRng _orderRng;
    private readonly List<TokenizedPreference> _pairs = [];
    private readonly List<int> _globalGroups = [];
    private ulong _orderEpoch = ulong.MaxValue;
    private int[] _order = [];
    private int _rank, _ranks = 1;

    /// <summary>Creates a source of <paramref name="promptsPerBatch"/> groups per batch.</summary>
    public PreferenceBatchSource(PreferenceDataset dataset, int promptsPerBatch, ulong seed)
    {
        Dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptsPerBatch);
        PromptsPerBatch = promptsPerBatch;
        _orderRng = new CounterRng(seed).Fork(OrderStream);
    }

    /// <summary>The data.</summary>
    public PreferenceDataset Dataset { get; }

    /// <summary>Groups (prompts) per batch.</summary>
    public int PromptsPerBatch { get; }

    /// <summary>Groups consumed since the start of epoch 0 (what a checkpoint stores; setting it resumes exactly there).</summary>
    public ulong Position { get; set; }

    /// <summary>The weight of this rank's batch mean in the average over ranks (1 on one process): its share of the global
    /// batch's pairs times the number of ranks, so that the ranks' average loss is the global batch's mean; 0 for a rank
    /// whose shard of an epoch's last, short batch is empty (it then runs a pair of the batch with no weight, so every rank
    /// still takes part in the step).</summary>
    public float LossWeight { get; private set; } = 1f;

    /// <summary>Makes every later batch rank <paramref name="rank"/>'s shard of a global batch of
    /// <paramref name="ranks"/> × <see cref="PromptsPerBatch"/> prompts, drawn from the same seeded order on every rank;
    /// <see cref="Position"/> stays the global stream's.</summary>
    /// <param name="rank">This process's rank.</param>
    /// <param name="ranks">Number of ranks.</param>
    public void Shard(int rank, int ranks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        if ((uint)rank >= (uint)ranks) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in [0, {ranks}).");
        _rank = rank;
        _ranks = ranks;
    }

    /// <summary>Batches that read every group once from the start of an epoch.</summary>
    public int BatchesPerEpoch => (Dataset.Groups.Count + PromptsPerBatch - 1) / PromptsPerBatch;

    /// <summary>The pairs of the next batch, laid out for one forward pass.</summary>
    public PreferenceBatch Next() => PreferenceBatch.Create(NextPairs());

    /// <summary>The pairs of the next batch, group by group (the list is reused by the next call).</summary>
    public IReadOnlyList<TokenizedPreference> NextPairs()
    {
        int count = Dataset.Groups.Count;
        ulong epoch = Position / (ulong)count;
        int first = (int)(Position % (ulong)count);
        int taken = Math.Min(PromptsPerBatch * _ranks, count - first);
        int[] order = Order(epoch);
        _globalGroups.Clear();
        for (int i = 0; i < taken; i++) _globalGroups.Add(order[first + i]);
        Position += (ulong)taken;

        // This rank's groups: its slice of the global batch, in order.
        int from = Math.Min(_rank * PromptsPerBatch, taken), to = Math.Min(from + PromptsPerBatch, taken);
        _pairs.Clear();
        for (int i = from; i < to; i++) _pairs.AddRange(Dataset.Groups[_globalGroups[i]]);
        if (_ranks == 1) return _pairs;

        int globalPairs = _globalGroups.Sum(g => Dataset.Groups[g].Count);
        if (_pairs.Count == 0)
        {
            _pairs.AddRange(Dataset.Groups[_globalGroups[0]]);
            LossWeight = 0f;
        }
        else
        {
            LossWeight = (float)((double)_ranks * _pairs.Count / globalPairs);
        }
        return _pairs;
    }

    private int[] Order(ulong epoch)
    {
        if (epoch != _orderEpoch)
        {
            _order = SftDataset.Permutation(Dataset.Groups.Count, _orderRng.Fork(epoch));
            _orderEpoch = epoch;
        }
        return _order;
    }
}

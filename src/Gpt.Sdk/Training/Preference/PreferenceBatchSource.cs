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
    private ulong _orderEpoch = ulong.MaxValue;
    private int[] _order = [];

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
        int taken = Math.Min(PromptsPerBatch, count - first);
        int[] order = Order(epoch);
        _pairs.Clear();
        for (int i = 0; i < taken; i++) _pairs.AddRange(Dataset.Groups[order[first + i]]);
        Position += (ulong)taken;
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

namespace Gpt.Sdk.Training;

/// <summary>
/// A seeded, resumable stream of <see cref="TokenBatch"/>es: random windows of a corpus for language
/// modelling, examples for supervised fine-tuning. The order is a pure function of the seed and
/// <see cref="Position"/>, so a checkpoint that stores the position resumes the exact same data.
/// </summary>
public interface ITokenBatchSource
{
    /// <summary>Rows per batch (B).</summary>
    int BatchSize { get; }

    /// <summary>Tokens per row (T).</summary>
    int SequenceLength { get; }

    /// <summary>Batches in one pass over the data when the data is a finite set of examples (evaluation reads at most that
    /// many); null for an unbounded sampler such as random corpus windows.</summary>
    int? BatchesPerEpoch { get; }

    /// <summary>The stream's position (what a checkpoint stores); setting it resumes from there.</summary>
    ulong Position { get; set; }

    /// <summary>Allocates a batch this source can fill (packed or not, of its B and T).</summary>
    TokenBatch CreateBatch();

    /// <summary>Fills <paramref name="batch"/> with the next batch and moves <see cref="Position"/> on.</summary>
    /// <param name="batch">A batch from <see cref="CreateBatch"/>.</param>
    void Next(TokenBatch batch);

    /// <summary>
    /// A source of this one's shape that gives rank <paramref name="rank"/> of <paramref name="ranks"/> its share of every
    /// global batch: the global batch is what a source like this one with ranks × <see cref="BatchSize"/> rows draws from
    /// the same seed, and the rank keeps rows [rank·B, (rank + 1)·B). Data-parallel training calls it on every rank.
    /// </summary>
    /// <param name="rank">This process's rank, 0 .. ranks − 1.</param>
    /// <param name="ranks">Number of ranks.</param>
    /// <exception cref="NotSupportedException">The source cannot be split (the default).</exception>
    ITokenBatchSource Shard(int rank, int ranks) =>
        throw new NotSupportedException($"{GetType().Name} cannot be split across ranks for data-parallel training; implement ITokenBatchSource.Shard, or train on one process.");
}

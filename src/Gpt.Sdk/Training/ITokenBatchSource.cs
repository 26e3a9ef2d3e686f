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
}

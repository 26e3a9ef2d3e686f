namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Token sequences as one right-padded batch (N, T) for the trunk: causal attention keeps the padding after a sequence from
/// changing it, so each row is read at its own positions. Sequences of very different lengths are best sorted into
/// batches of similar length by the caller (less padding).
/// </summary>
internal sealed class EmbeddingBatch
{
    public EmbeddingBatch(IReadOnlyList<int[]> sequences)
    {
        Rows = sequences.Count;
        Length = sequences.Max(s => s.Length);
        Ids = new int[Rows * Length];
        Lengths = new int[Rows];
        EndPositions = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            var s = sequences[r];
            s.CopyTo(Ids, r * Length);
            Lengths[r] = s.Length;
            EndPositions[r] = r * Length + s.Length - 1;
        }
    }

    /// <summary>N.</summary>
    public int Rows { get; }

    /// <summary>T, the longest sequence.</summary>
    public int Length { get; }

    /// <summary>N×T ids, padded with id 0 (never read: it only follows a sequence).</summary>
    public int[] Ids { get; }

    /// <summary>Each row's real length.</summary>
    public int[] Lengths { get; }

    /// <summary>Flat positions (r·T + last) of each row's last token.</summary>
    public int[] EndPositions { get; }

    /// <summary>Real tokens in the batch.</summary>
    public long TokenCount => Lengths.Sum(l => (long)l);

    /// <summary>(N, N·T) weights of mean pooling: 1/length on a row's real tokens, 0 elsewhere.</summary>
    public float[] MeanWeights()
    {
        var weights = new float[Rows * Rows * Length];
        for (int r = 0; r < Rows; r++)
            Array.Fill(weights, 1f / Lengths[r], r * Rows * Length + r * Length, Lengths[r]);
        return weights;
    }
}

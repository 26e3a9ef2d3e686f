namespace Gpt.Sdk.Training;

/// <summary>
/// One micro-batch of next-token prediction: B rows of T tokens with their targets, position ids and,
/// for packed rows, where each token's example starts. Language modelling fills it with random windows
/// of a corpus; supervised fine-tuning with masked examples, padded or packed. The arrays are reused
/// from batch to batch, so a steady training loop allocates nothing.
/// </summary>
public sealed class TokenBatch
{
    /// <summary>Allocates a batch of <paramref name="batchSize"/> × <paramref name="sequenceLength"/> tokens.</summary>
    /// <param name="batchSize">Rows (B).</param>
    /// <param name="sequenceLength">Tokens per row (T).</param>
    /// <param name="packed">True to allocate <see cref="SegmentStarts"/> (several examples per row).</param>
    public TokenBatch(int batchSize, int sequenceLength, bool packed = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        int n = batchSize * sequenceLength;
        Inputs = new int[n];
        Targets = new int[n];
        Positions = new int[n];
        SegmentStarts = packed ? new int[n] : null;
    }

    /// <summary>Rows (B).</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per row (T).</summary>
    public int SequenceLength { get; }

    /// <summary>Input ids, B×T row-major.</summary>
    public int[] Inputs { get; }

    /// <summary>Next-token targets, B×T; −1 carries no loss (prompt tokens, padding).</summary>
    public int[] Targets { get; }

    /// <summary>Position ids, B×T: 0 .. T−1 per row, restarting at 0 for each packed example.</summary>
    public int[] Positions { get; }

    /// <summary>For packed rows: per token, the index within its row of the first token of its example, so attention
    /// stays inside the example (B×T). Null when every row is one sequence (plain causal attention).</summary>
    public int[]? SegmentStarts { get; }

    /// <summary>Number of targets that carry loss (≥ 0), the mean's denominator.</summary>
    public int CountedTargets
    {
        get
        {
            int n = 0;
            foreach (int t in Targets) if (t >= 0) n++;
            return n;
        }
    }

    /// <summary>Sets positions to 0 .. T−1 in every row and, when packed, every segment start to 0.</summary>
    public void ResetLayout()
    {
        int t = SequenceLength;
        for (int i = 0; i < Positions.Length; i++) Positions[i] = i % t;
        if (SegmentStarts is not null) Array.Clear(SegmentStarts);
    }
}

namespace Gpt.Sdk.Generation;

/// <summary>What a generator's shared decoding batch has done (<see cref="Generator.BatchingStatistics"/>): how well
/// concurrent requests shared the steps.</summary>
/// <param name="Steps">Decoding steps run (each feeds every ready row one token, one pass per adapter in use).</param>
/// <param name="RowsDecoded">Tokens decoded over those steps, one per row per step.</param>
/// <param name="LargestStep">The most rows fed in one pass.</param>
public readonly record struct BatchingStatistics(long Steps, long RowsDecoded, int LargestStep)
{
    /// <summary>Rows per step on average: 1 when requests never overlapped, up to the batch size.</summary>
    public double MeanRowsPerStep => Steps == 0 ? 0 : (double)RowsDecoded / Steps;
}

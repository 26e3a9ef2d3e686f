namespace Gpt.Sdk.Training;

/// <summary>
/// PPO's per-token reward for language models (Ziegler et al. 2019, InstructGPT, TRL): every response token is charged
/// −β·(log π(yₜ) − log π_ref(yₜ)), the sample's KL estimate to the reference, and the score of the whole response is added
/// at its last token.
/// </summary>
internal static class KlPenalty
{
    /// <summary>Fills per-token rewards (rows × T, zero where masked out) and returns each row's summed KL estimate.</summary>
    /// <param name="logProbs">Policy log-probabilities of the response tokens (rows × T).</param>
    /// <param name="referenceLogProbs">The reference model's (rows × T).</param>
    /// <param name="mask">1 on response tokens, 0 on padding; each row's ones come first.</param>
    /// <param name="scores">One score per row.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="length">T.</param>
    /// <param name="beta">The KL coefficient.</param>
    /// <param name="rewards">Receives the rewards.</param>
    public static double[] Rewards(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> referenceLogProbs, ReadOnlySpan<float> mask,
        ReadOnlySpan<float> scores, int rows, int length, double beta, Span<float> rewards)
    {
        var kl = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            int last = -1;
            for (int t = 0; t < length; t++)
            {
                int i = r * length + t;
                if (mask[i] == 0)
                {
                    rewards[i] = 0;
                    continue;
                }
                double k = logProbs[i] - referenceLogProbs[i];
                kl[r] += k;
                rewards[i] = (float)(-beta * k);
                last = i;
            }
            if (last >= 0) rewards[last] += scores[r];
        }
        return kl;
    }
}

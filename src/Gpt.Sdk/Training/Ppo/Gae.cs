namespace Gpt.Sdk.Training;

/// <summary>
/// Generalised advantage estimation (Schulman et al. 2016) over per-token rewards and values of response tokens, rows of
/// T positions with a 0/1 mask of the tokens that exist (responses are right-padded): δₜ = rₜ + γ·Vₜ₊₁ − Vₜ,
/// Aₜ = δₜ + γλ·Aₜ₊₁, with V and r zero past a row's end (so the last token bootstraps from 0), and returns A + V, as TRL
/// computes them. Plain arithmetic in double, on the host.
/// </summary>
internal static class Gae
{
    /// <summary>Fills advantages and returns (rows × T, zero where masked out).</summary>
    public static void Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values, ReadOnlySpan<float> mask, int rows, int length,
        double gamma, double lambda, Span<float> advantages, Span<float> returns)
    {
        int n = rows * length;
        if (rewards.Length != n || values.Length != n || mask.Length != n || advantages.Length != n || returns.Length != n)
            throw new ArgumentException($"GAE: every array must hold {rows} × {length} values.");
        for (int r = 0; r < rows; r++)
        {
            double next = 0, running = 0;
            for (int t = length - 1; t >= 0; t--)
            {
                int i = r * length + t;
                double value = values[i] * mask[i];
                double delta = rewards[i] * mask[i] + gamma * next - value;
                running = delta + gamma * lambda * running;
                advantages[i] = (float)(running * mask[i]);
                returns[i] = (float)((running + value) * mask[i]);
                next = value;
            }
        }
    }

    /// <summary>Shifts and scales the masked values to zero mean and unit variance (the unbiased variance, as
    /// <c>torch.var</c> and TRL's <c>masked_whiten</c>); masked-out entries stay zero.</summary>
    public static void Whiten(Span<float> values, ReadOnlySpan<float> mask)
    {
        double count = 0, sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            count += mask[i];
            sum += values[i] * mask[i];
        }
        if (count < 2) return;
        double mean = sum / count, squares = 0;
        for (int i = 0; i < values.Length; i++) squares += mask[i] * (values[i] - mean) * (values[i] - mean);
        double variance = squares / (count - 1);
        double scale = 1 / Math.Sqrt(variance + 1e-8);
        for (int i = 0; i < values.Length; i++) values[i] = mask[i] == 0 ? 0 : (float)((values[i] - mean) * scale);
    }
}

namespace Gpt.Sdk.Evaluation;

/// <summary>One problem's sample counts, what pass@k is estimated from.</summary>
/// <param name="Samples">n, the samples generated.</param>
/// <param name="Correct">c, the samples that passed.</param>
public readonly record struct PassCount(int Samples, int Correct);

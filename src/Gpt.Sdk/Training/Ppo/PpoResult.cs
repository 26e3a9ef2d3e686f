namespace Gpt.Sdk.Training;

/// <summary>What a PPO run produced.</summary>
/// <param name="Iterations">Iterations completed in total (a resumed run counts those before it too).</param>
/// <param name="Last">The report of the last iteration run, or null when none ran (the run was already complete).</param>
/// <param name="Elapsed">Wall time of this call.</param>
public sealed record PpoResult(int Iterations, PpoProgress? Last, TimeSpan Elapsed);

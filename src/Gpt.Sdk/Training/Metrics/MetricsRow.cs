namespace Gpt.Sdk.Training;

/// <summary>One row of a <see cref="MetricsLog"/>.</summary>
/// <param name="Step">The step or iteration.</param>
/// <param name="Values">The named values of that step (NaN where the log holds null).</param>
public sealed record MetricsRow(int Step, IReadOnlyDictionary<string, double> Values);

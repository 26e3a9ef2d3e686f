namespace Gpt.Sdk.Retrieval;

/// <summary>A map-reduce summary and what it took.</summary>
/// <param name="Summary">The summary.</param>
/// <param name="Chunks">Chunks the text was cut into (1 when it fit the context whole).</param>
/// <param name="ReduceRounds">Rounds of summarising summaries (0 when the text fit in one chunk).</param>
/// <param name="ModelCalls">Summaries the model wrote in all.</param>
/// <param name="ChunkTokens">The most tokens of text one step was given: what the context left beside the instruction
/// and the summary.</param>
public sealed record SummarizationResult(string Summary, int Chunks, int ReduceRounds, int ModelCalls, int ChunkTokens);

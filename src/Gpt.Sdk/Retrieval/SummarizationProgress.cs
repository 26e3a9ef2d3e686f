namespace Gpt.Sdk.Retrieval;

/// <summary>How far <see cref="MapReduceSummarizer.SummarizeAsync"/> has come, reported after every model call.</summary>
/// <param name="Stage">Map (chunks of the text) or reduce (groups of summaries).</param>
/// <param name="Round">0 for the map stage; 1, 2, … for the reduce rounds.</param>
/// <param name="Completed">Summaries written in this stage's round so far.</param>
/// <param name="Total">Summaries this round writes.</param>
public sealed record SummarizationProgress(SummarizationStage Stage, int Round, int Completed, int Total);

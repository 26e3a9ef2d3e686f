namespace Gpt.Sdk.Retrieval;

/// <summary>A stage of map-reduce summarisation.</summary>
public enum SummarizationStage
{
    /// <summary>Summarising the chunks of the text, one by one.</summary>
    Map,

    /// <summary>Summarising groups of summaries, round after round, until one is left.</summary>
    Reduce,
}

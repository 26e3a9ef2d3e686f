using System.Text.Json.Serialization;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// An embedding head's shape, saved beside its weights as <c>embedding_head.json</c>: the pooling, the optional projection
/// and, for <see cref="EmbeddingPooling.EndToken"/>, the delimiter special tokens by text and id.
/// </summary>
public sealed record EmbeddingHeadConfig
{
    /// <summary>How hidden states are pooled.</summary>
    [JsonPropertyName("pooling")]
    public EmbeddingPooling Pooling { get; init; } = EmbeddingPooling.EndToken;

    /// <summary>The width of the embeddings after a linear projection, or null to keep the trunk's width without one.</summary>
    [JsonPropertyName("projection_dimension")]
    public int? ProjectionDimension { get; init; }

    /// <summary>The trunk's width C (what the head reads).</summary>
    [JsonPropertyName("trunk_width")]
    public int TrunkWidth { get; init; }

    /// <summary>The start delimiter's id in the tokenizer (and the trunk's vocabulary); −1 for mean pooling.</summary>
    [JsonPropertyName("start_token_id")]
    public int StartTokenId { get; init; } = -1;

    /// <summary>The end delimiter's id; −1 for mean pooling.</summary>
    [JsonPropertyName("end_token_id")]
    public int EndTokenId { get; init; } = -1;

    /// <summary>The embeddings' width: <see cref="ProjectionDimension"/>, or the trunk's width without a projection.</summary>
    [JsonIgnore]
    public int Dimension => ProjectionDimension ?? TrunkWidth;

    /// <summary>Checks the values and returns this config.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message says which.</exception>
    public EmbeddingHeadConfig Validate()
    {
        if (TrunkWidth <= 0) throw new ArgumentException($"the trunk width must be positive, got {TrunkWidth}.");
        if (ProjectionDimension is <= 0) throw new ArgumentException($"the projection dimension must be positive, got {ProjectionDimension}; use null for no projection.");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentException($"unknown pooling {Pooling}.");
        if (Pooling == EmbeddingPooling.EndToken && (StartTokenId < 0 || EndTokenId < 0 || StartTokenId == EndTokenId))
            throw new ArgumentException(
                $"end-token pooling needs two distinct delimiter token ids, got start {StartTokenId} and end {EndTokenId}; " +
                "add the delimiters to the tokenizer with EmbeddingHead.AddDelimiters.");
        return this;
    }
}

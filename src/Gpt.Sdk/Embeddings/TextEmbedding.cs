namespace Gpt.Sdk.Embeddings;

/// <summary>One text's embedding.</summary>
/// <param name="Vector">The L2-normalised embedding (so a dot product is the cosine similarity).</param>
/// <param name="TokenCount">The tokens of the text that were read (after truncation, without the delimiters).</param>
/// <param name="Truncated">True when the text was longer than the trunk's context allows and only its first
/// <see cref="TokenCount"/> tokens were embedded.</param>
public sealed record TextEmbedding(float[] Vector, int TokenCount, bool Truncated);

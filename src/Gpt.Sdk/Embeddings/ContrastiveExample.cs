namespace Gpt.Sdk.Embeddings;

/// <summary>One training pair for contrastive embeddings: a query, the document that answers it, and optionally hard
/// negatives (documents that look relevant but are not). The other pairs' documents in a batch are its in-batch negatives.</summary>
/// <param name="Query">The query (or the first of two neighbouring texts).</param>
/// <param name="Positive">The document that belongs to it.</param>
/// <param name="Negatives">Hard negatives, possibly none.</param>
public sealed record ContrastiveExample(string Query, string Positive, IReadOnlyList<string> Negatives)
{
    /// <summary>A pair without hard negatives.</summary>
    /// <param name="query">The query.</param>
    /// <param name="positive">Its document.</param>
    public ContrastiveExample(string query, string positive) : this(query, positive, []) { }
}

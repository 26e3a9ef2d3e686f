namespace Gpt.Sdk.Retrieval;

/// <summary>What <see cref="DocumentIndexer.IndexAsync"/> stored.</summary>
/// <param name="Documents">Documents indexed.</param>
/// <param name="Chunks">Chunks embedded and stored.</param>
/// <param name="Tokens">Input tokens the embedding generator reported reading (0 when it reports no usage).</param>
/// <param name="TruncatedChunks">Chunks longer than the embedding model reads, embedded from their first tokens
/// (flagged <c>"truncated"</c> by the generator); 0 when the chunk size fits the model.</param>
public sealed record IndexingResult(int Documents, int Chunks, long Tokens, int TruncatedChunks);

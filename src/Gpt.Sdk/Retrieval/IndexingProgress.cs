namespace Gpt.Sdk.Retrieval;

/// <summary>How far <see cref="DocumentIndexer.IndexAsync"/> has come, reported after each batch is stored.</summary>
/// <param name="Documents">Documents chunked so far.</param>
/// <param name="ChunksStored">Chunks embedded and stored so far.</param>
/// <param name="Tokens">Input tokens the embedding generator reported reading so far (0 when it reports no usage).</param>
public sealed record IndexingProgress(int Documents, int ChunksStored, long Tokens);

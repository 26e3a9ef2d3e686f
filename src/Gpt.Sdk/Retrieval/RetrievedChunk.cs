namespace Gpt.Sdk.Retrieval;

/// <summary>A chunk a search found.</summary>
/// <param name="Id">Its key in the collection.</param>
/// <param name="DocumentId">The document it comes from.</param>
/// <param name="ChunkIndex">Its position in that document, from 0.</param>
/// <param name="Text">Its text.</param>
/// <param name="Score">How near it is to the query, in the collection's distance function's units (cosine
/// similarity by default: higher is nearer).</param>
public sealed record RetrievedChunk(string Id, string DocumentId, int ChunkIndex, string Text, double Score);

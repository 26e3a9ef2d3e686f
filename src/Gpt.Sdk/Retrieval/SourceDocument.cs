namespace Gpt.Sdk.Retrieval;

/// <summary>A document to index.</summary>
/// <param name="Id">Its id, unique among the documents of an index; chunks and citations name it.</param>
/// <param name="Text">Its text.</param>
public sealed record SourceDocument(string Id, string Text);

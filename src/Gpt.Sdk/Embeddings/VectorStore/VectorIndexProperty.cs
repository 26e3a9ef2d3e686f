namespace Gpt.Sdk.Embeddings;

/// <summary>A key or data property recorded in a vector index file.</summary>
/// <param name="Name">The property's storage name.</param>
/// <param name="TypeName">Its .NET type's full name (for example <c>System.String</c>).</param>
public sealed record VectorIndexProperty(string Name, string TypeName);

using System.Text.Json.Serialization;

namespace Gpt.Sdk.Embeddings;

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(EmbeddingHeadConfig))]
internal sealed partial class EmbeddingHeadJson : JsonSerializerContext;

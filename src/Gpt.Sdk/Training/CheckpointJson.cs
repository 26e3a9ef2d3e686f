using System.Text.Json.Serialization;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>Source-generated JSON for what checkpoints store (no reflection at run time).</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(GptConfig))]
internal sealed partial class CheckpointJson : JsonSerializerContext;

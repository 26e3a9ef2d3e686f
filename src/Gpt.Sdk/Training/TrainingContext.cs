using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Training;

/// <summary>What an objective's loss is computed with: the model, the adapter being trained (or none) and the
/// pass's dropout seed.</summary>
/// <param name="Model">The model.</param>
/// <param name="Adapter">The LoRA adapter applied in every pass, or null for the base model.</param>
/// <param name="DropoutSeed">Seed of this micro-batch's dropout masks.</param>
public readonly record struct TrainingContext(GptModel Model, LoraAdapter? Adapter, ulong DropoutSeed);

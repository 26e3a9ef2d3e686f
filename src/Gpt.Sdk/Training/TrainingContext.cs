using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Training;

/// <summary>What an objective's loss is computed with: the model, the adapter being trained (or none) and the
/// pass's dropout seed.</summary>
/// <param name="Model">The model.</param>
/// <param name="Adapter">The LoRA adapter applied in every pass, or null for the base model.</param>
/// <param name="DropoutSeed">Seed of this micro-batch's dropout masks.</param>
public readonly record struct TrainingContext(GptModel Model, LoraAdapter? Adapter, ulong DropoutSeed)
{
    /// <summary>The factor the trainer back-propagates the returned loss with (1/accumulation steps). An objective that
    /// back-propagates part of its loss itself (gradient caching runs a backward pass per chunk) scales by it too.</summary>
    public float GradientScale { get; init; } = 1f;
}

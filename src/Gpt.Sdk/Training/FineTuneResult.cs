using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Training;

/// <summary>What a fine-tuning run produced.</summary>
/// <param name="Training">Steps, final loss and held-out loss of the run.</param>
/// <param name="Adapter">The trained LoRA adapter (loaded on the model), or null for a full fine-tune.</param>
/// <param name="OutputDirectory">Where the result was saved (a PEFT adapter folder for LoRA, a model folder otherwise), or null.</param>
/// <param name="SkippedExamples">Examples of the training data skipped for being longer than the context (held-out ones included).</param>
public sealed record FineTuneResult(TrainingResult Training, LoraAdapter? Adapter, string? OutputDirectory, int SkippedExamples);

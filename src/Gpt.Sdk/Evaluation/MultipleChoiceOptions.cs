using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Evaluation;

/// <summary>How <see cref="MultipleChoiceEvaluator"/> runs a benchmark.</summary>
public sealed record MultipleChoiceOptions
{
    /// <summary>Solved exemplars put before each question (k of k-shot); 0 = zero-shot. Needs <see cref="Dev"/> when above 0.</summary>
    public int Shots { get; init; }

    /// <summary>The split exemplars are drawn from, kept apart from the items evaluated (lm-evaluation-harness's
    /// few-shot split: usually the benchmark's train or validation set).</summary>
    public IReadOnlyList<MultipleChoiceItem>? Dev { get; init; }

    /// <summary>Seed of the exemplar draw; item i's exemplars depend only on the seed and i. lm-evaluation-harness's default is 1234.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>The LoRA adapter to apply, or null for the base model.</summary>
    public LoraAdapter? Adapter { get; init; }

    /// <summary>(context, choice) rows per forward pass.</summary>
    public int BatchSize { get; init; } = LogLikelihood.DefaultBatchSize;
}

using Gpt.Sdk.Training;

namespace Gpt.Sdk.Embeddings;

/// <summary>What a contrastive run produced.</summary>
/// <param name="Training">Steps, final loss and held-out loss of the run.</param>
/// <param name="Evaluation">The last evaluation's metrics (<c>accuracy</c>); empty without held-out data.</param>
/// <param name="Embedder">The trained embedding model (dispose it: it owns the head, and the trunk when the run had to
/// copy it to add the delimiters' rows).</param>
/// <param name="OutputDirectory">The head folder the run saved, or null.</param>
/// <param name="ResumedFromStep">The step restored from the output folder's checkpoint, or null for a fresh run.</param>
public sealed record ContrastiveTrainingResult(
    TrainingResult Training,
    IReadOnlyDictionary<string, double> Evaluation,
    Embedder Embedder,
    string? OutputDirectory,
    int? ResumedFromStep);

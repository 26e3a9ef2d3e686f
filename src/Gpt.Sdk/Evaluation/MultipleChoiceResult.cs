namespace Gpt.Sdk.Evaluation;

/// <summary>A multiple-choice benchmark's figures, named as lm-evaluation-harness reports them.</summary>
/// <param name="Accuracy">acc: the share of items whose highest-scoring choice is the answer.</param>
/// <param name="NormalizedAccuracy">acc_norm: the same with each score divided by its choice's length in bytes,
/// so long answers are not penalised for having more tokens.</param>
/// <param name="AccuracyStandardError">acc_stderr: the standard error of <paramref name="Accuracy"/>'s mean
/// (sample standard deviation / √n; 0 for one item).</param>
/// <param name="NormalizedAccuracyStandardError">acc_norm_stderr, likewise.</param>
/// <param name="Items">Per item, in the order evaluated.</param>
public sealed record MultipleChoiceResult(double Accuracy, double NormalizedAccuracy, double AccuracyStandardError,
    double NormalizedAccuracyStandardError, IReadOnlyList<MultipleChoicePrediction> Items);

namespace Gpt.Sdk.Evaluation;

/// <summary>What the model chose on one item.</summary>
/// <param name="Index">The item's position in the evaluated list.</param>
/// <param name="Answer">The correct choice.</param>
/// <param name="Predicted">The choice with the highest log-likelihood (the first of equal ones, as numpy's argmax).</param>
/// <param name="PredictedNormalized">The choice with the highest log-likelihood per UTF-8 byte of its text.</param>
/// <param name="Scores">Per choice, the sum of its tokens' log-probabilities given the prompt (natural log).</param>
/// <param name="NormalizedScores">Per choice, its score divided by the length of its text in UTF-8 bytes.</param>
public sealed record MultipleChoicePrediction(int Index, int Answer, int Predicted, int PredictedNormalized,
    IReadOnlyList<double> Scores, IReadOnlyList<double> NormalizedScores)
{
    /// <summary>True when <see cref="Predicted"/> is the answer (counts towards acc).</summary>
    public bool Correct => Predicted == Answer;

    /// <summary>True when <see cref="PredictedNormalized"/> is the answer (counts towards acc_norm).</summary>
    public bool CorrectNormalized => PredictedNormalized == Answer;
}

namespace Gpt.Sdk.Evaluation;

/// <summary>Where an answer evaluation stands, reported after each question.</summary>
/// <param name="Done">Questions finished.</param>
/// <param name="Total">Questions in all.</param>
/// <param name="GreedyCorrect">Greedy answers right so far.</param>
/// <param name="SelfConsistencyCorrect">Majority answers right so far.</param>
public sealed record AnswerEvaluationProgress(int Done, int Total, int GreedyCorrect, int SelfConsistencyCorrect);

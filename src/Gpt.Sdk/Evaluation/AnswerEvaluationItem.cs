namespace Gpt.Sdk.Evaluation;

/// <summary>How greedy decoding and self-consistency did on one question.</summary>
/// <param name="Item">The question and its reference answer.</param>
/// <param name="ExemplarsKept">Exemplars that fitted in the prompt (<see cref="FewShotPromptText.ExemplarsKept"/>).</param>
/// <param name="Greedy">The greedy answer.</param>
/// <param name="SelfConsistency">The sampled paths and their vote.</param>
/// <param name="GreedyCorrect">Whether the greedy answer equals the reference, both normalised.</param>
/// <param name="SelfConsistencyCorrect">Whether the majority answer equals the reference, both normalised.</param>
public sealed record AnswerEvaluationItem(QuestionAnswer Item, int ExemplarsKept, ReasoningPath Greedy, SelfConsistencyResult SelfConsistency,
    bool GreedyCorrect, bool SelfConsistencyCorrect);

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// A question with its reference answer and, for chain-of-thought prompting, a worked solution: both a few-shot
/// exemplar (<see cref="FewShotPrompt"/>) and an evaluation item (<see cref="SelfConsistency.EvaluateAsync"/>).
/// </summary>
/// <param name="Question">The question, as the model sees it after the layout's question prefix.</param>
/// <param name="Answer">The final answer, short (<c>42</c>, <c>Paris</c>); compared after <see cref="AnswerExtractor.Normalize"/>.</param>
/// <param name="Solution">The reasoning that leads to the answer, without the answer sentence itself (the layout adds
/// "The answer is …"); null when there is none. Chain-of-thought exemplars need one.</param>
public sealed record QuestionAnswer(string Question, string Answer, string? Solution = null);

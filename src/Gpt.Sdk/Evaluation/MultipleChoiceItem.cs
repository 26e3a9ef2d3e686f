namespace Gpt.Sdk.Evaluation;

/// <summary>One multiple-choice question: a line <c>{"context": …, "choices": […], "answer": index}</c> of a
/// benchmark file (<see cref="MultipleChoiceData"/>).</summary>
/// <param name="Context">The question as the model reads it, e.g. <c>"Question: 2 + 2 =\nAnswer:"</c>.</param>
/// <param name="Choices">The candidate answers, without a leading space (one is put between context and choice).</param>
/// <param name="Answer">Index of the correct choice in <paramref name="Choices"/>.</param>
public sealed record MultipleChoiceItem(string Context, IReadOnlyList<string> Choices, int Answer);

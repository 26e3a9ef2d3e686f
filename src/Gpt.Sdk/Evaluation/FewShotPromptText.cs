namespace Gpt.Sdk.Evaluation;

/// <summary>A prompt built by <see cref="FewShotPrompt"/>, and how much of the exemplar list it holds.</summary>
/// <param name="Text">The prompt, ending where the model writes the answer.</param>
/// <param name="TokenCount">Its length in tokens of the tokenizer it was fitted with, or null when it was built without one.</param>
/// <param name="ExemplarsKept">Exemplars in the prompt: the first this many of the list.</param>
/// <param name="ExemplarsDropped">Exemplars left out, from the end of the list, to fit the token budget.</param>
public sealed record FewShotPromptText(string Text, int? TokenCount, int ExemplarsKept, int ExemplarsDropped);

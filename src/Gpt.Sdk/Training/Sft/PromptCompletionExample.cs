namespace Gpt.Sdk.Training;

/// <summary>
/// A prompt and the completion the model should learn to write after it (JSONL: <c>{"prompt": "...", "completion": "..."}</c>).
/// Tokens: the prompt's, then the completion's (each encoded on its own), then <c>&lt;|endoftext|&gt;</c> when the
/// tokenizer has it as a special token; loss on the completion and the end token.
/// </summary>
/// <param name="Prompt">The text given.</param>
/// <param name="Completion">The text to learn; its start is not separated from the prompt, so include a leading
/// space or newline when one belongs there.</param>
public sealed record PromptCompletionExample(string Prompt, string Completion) : SftExample;

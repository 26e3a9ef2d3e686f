using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Training;

/// <summary>
/// An edit: an input, an instruction, and the edited output (JSONL: <c>{"input": "...", "instruction": "...", "output": "..."}</c>).
/// Trained as a prompt/completion pair with prompt <see cref="EditTemplate.Prompt"/>(input, instruction)
/// and completion <paramref name="Output"/>.
/// </summary>
/// <param name="Input">The text to edit (may be empty).</param>
/// <param name="Instruction">What to do to it.</param>
/// <param name="Output">The edited text, which the model learns.</param>
public sealed record EditExample(string Input, string Instruction, string Output) : SftExample;

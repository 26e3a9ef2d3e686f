namespace Gpt.Sdk.Generation;

/// <summary>
/// The one layout of the "edit" task (Codex's: rewrite an input as an instruction says), shared by
/// supervised fine-tuning and generation so a model is prompted exactly as it was trained:
/// <code>
/// Input:
/// {input}
/// Instruction: {instruction}
/// Output:
/// {output}
/// </code>
/// <see cref="Prompt"/> is everything before <c>{output}</c>. Training appends the output (and
/// <c>&lt;|endoftext|&gt;</c> when the tokenizer has it) as the completion; generation prompts with
/// <see cref="Prompt"/> and stops at the end token.
/// </summary>
/// <remarks>
/// Plain text rather than special tokens, so it works with any tokenizer, a character-level one
/// included. The instruction sits after the input, as in the edit models, so a long input does not
/// push the instruction out of sight of the output. The texts are inserted verbatim; changing this
/// layout invalidates every model fine-tuned on it.
/// </remarks>
public static class EditTemplate
{
    /// <summary>The text before the output: <c>"Input:\n{input}\nInstruction: {instruction}\nOutput:\n"</c>.</summary>
    /// <param name="input">The text to edit (may be empty: "write from scratch").</param>
    /// <param name="instruction">What to do to it.</param>
    public static string Prompt(string input, string instruction)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(instruction);
        return $"Input:\n{input}\nInstruction: {instruction}\nOutput:\n";
    }
}

namespace Gpt.Sdk.Generation;

/// <summary>
/// A piece of a streamed completion. The <see cref="Text"/> of a completion's chunks, concatenated,
/// equals its final <see cref="Completion.Text"/>; a chunk never ends inside a character (UTF-8 or a
/// UTF-16 surrogate pair) and never shows text that turns out to begin a stop sequence. The last chunk
/// of each completion carries its <see cref="FinishReason"/>.
/// </summary>
/// <param name="Index">Which completion this belongs to: 0 .. N−1 (see <see cref="GenerationOptions.N"/>).</param>
/// <param name="Text">New text; may be empty (a token inside a character, or text held back while a stop sequence may be starting).</param>
/// <param name="Tokens">Tokens generated since this completion's previous chunk; their <see cref="TokenLogprob.Logprob"/>
/// is always set, their <see cref="TokenLogprob.TopAlternatives"/> only when <see cref="GenerationOptions.Logprobs"/> asks.</param>
/// <param name="FinishReason">Set on the completion's last chunk, otherwise null.</param>
public sealed record GenerationChunk(int Index, string Text, IReadOnlyList<TokenLogprob> Tokens, FinishReason? FinishReason);

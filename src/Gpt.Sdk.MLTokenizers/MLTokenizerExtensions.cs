using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.MLTokenizers;

/// <summary>Turns the SDK's tokenizers into Microsoft.ML.Tokenizers tokenizers.</summary>
public static class MLTokenizerExtensions
{
    /// <summary>
    /// This tokenizer as a <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>, for .NET chunkers and token counters that take
    /// one: its ids, counts and offsets are exactly this tokenizer's.
    /// </summary>
    /// <param name="tokenizer">The SDK tokenizer, e.g. <c>BpeTokenizer.FromPretrained("models/gpt2")</c>.</param>
    /// <param name="allowSpecialTokens">
    /// True to turn special-token text in the input (<c>&lt;|endoftext|&gt;</c>) into the special token, for trusted text
    /// such as prompt templates; false, the safe default for user text, encodes it as ordinary text.
    /// </param>
    public static GptTokenizerAdapter AsMLTokenizer(this BpeTokenizer tokenizer, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new GptTokenizerAdapter(tokenizer, allowSpecialTokens);
    }
}

using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>The ids of the three fill-in-the-middle markers of a tokenizer.</summary>
/// <param name="Prefix"><c>&lt;|fim_prefix|&gt;</c>: the text before the gap follows.</param>
/// <param name="Suffix"><c>&lt;|fim_suffix|&gt;</c>: the text after the gap follows.</param>
/// <param name="Middle"><c>&lt;|fim_middle|&gt;</c>: the gap's text follows (what the model writes).</param>
public readonly record struct FimTokens(int Prefix, int Suffix, int Middle)
{
    /// <summary>Looks the markers up among the tokenizer's special tokens.</summary>
    /// <param name="tokenizer">A BPE tokenizer with the markers (see <see cref="ChatTemplate.AddChatTokens"/>).</param>
    public static FimTokens From(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new FimTokens(Id(tokenizer, WellKnownSpecialTokens.FimPrefix), Id(tokenizer, WellKnownSpecialTokens.FimSuffix),
            Id(tokenizer, WellKnownSpecialTokens.FimMiddle));
    }

    private static int Id(BpeTokenizer tokenizer, string text) =>
        tokenizer.SpecialTokens.TryGetValue(text, out int id)
            ? id
            : throw new ArgumentException(
                $"the tokenizer has no special token {text}; fill-in-the-middle needs {WellKnownSpecialTokens.FimPrefix}, {WellKnownSpecialTokens.FimSuffix} and {WellKnownSpecialTokens.FimMiddle} (add them with ChatTemplate.AddChatTokens).",
                nameof(tokenizer));
}

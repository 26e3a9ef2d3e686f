using Gpt.Kernels.Random;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Insertion by fill-in-the-middle (Bavarian et al., 2022), in the prefix-suffix-middle order: a model
/// trained on documents cut as <c>&lt;|fim_prefix|&gt; prefix &lt;|fim_suffix|&gt; suffix &lt;|fim_middle|&gt; middle</c>
/// learns to write the middle given both sides. <see cref="Prompt"/> builds the generation prompt (the
/// middle follows, ended by <c>&lt;|endoftext|&gt;</c>); the <c>Transform</c> methods make such training
/// examples from ordinary documents.
/// </summary>
public static class FillInTheMiddle
{
    /// <summary>The prompt for writing what goes between <paramref name="prefix"/> and <paramref name="suffix"/>.</summary>
    /// <param name="tokenizer">A BPE tokenizer with the FIM markers.</param>
    /// <param name="prefix">Text before the gap.</param>
    /// <param name="suffix">Text after the gap.</param>
    public static int[] Prompt(BpeTokenizer tokenizer, string prefix, string suffix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        var fim = FimTokens.From(tokenizer);
        return [fim.Prefix, .. tokenizer.Encode(prefix), fim.Suffix, .. tokenizer.Encode(suffix), fim.Middle];
    }

    /// <summary>
    /// The training transform on text, as in the paper: with probability <paramref name="rate"/> the
    /// document is cut at two uniformly drawn character positions into prefix, middle and suffix, each
    /// part encoded on its own, and reordered to <c>[prefix marker] prefix [suffix marker] suffix [middle marker] middle</c>;
    /// otherwise it is encoded unchanged. Cuts never split a surrogate pair.
    /// </summary>
    /// <param name="document">One document.</param>
    /// <param name="tokenizer">A BPE tokenizer with the FIM markers.</param>
    /// <param name="rng">The data pipeline's RNG; advanced by three draws.</param>
    /// <param name="rate">Fraction of documents transformed, in [0, 1] (the paper finds 0.5 costs no left-to-right skill).</param>
    public static int[] Transform(string document, BpeTokenizer tokenizer, ref CounterRng rng, float rate = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(document);
        var fim = FimTokens.From(tokenizer);
        if (!Draw(ref rng, rate, document.Length, out int a, out int b)) return tokenizer.Encode(document);
        a = NotInsidePair(document, a);
        b = NotInsidePair(document, b);
        return [fim.Prefix, .. tokenizer.Encode(document[..a]), fim.Suffix, .. tokenizer.Encode(document[b..]),
            fim.Middle, .. tokenizer.Encode(document[a..b])];
    }

    /// <summary>
    /// The training transform on a document already tokenized (token data sets): with probability
    /// <paramref name="rate"/> it is cut at two uniformly drawn token positions and reordered as in
    /// <see cref="Transform(string, BpeTokenizer, ref CounterRng, float)"/>; otherwise copied unchanged.
    /// The result is three tokens longer when transformed.
    /// </summary>
    /// <param name="document">One document's tokens (without the end-of-text separator).</param>
    /// <param name="markers">The FIM marker ids.</param>
    /// <param name="rng">The data pipeline's RNG; advanced by three draws.</param>
    /// <param name="rate">Fraction of documents transformed, in [0, 1].</param>
    public static int[] Transform(ReadOnlySpan<int> document, FimTokens markers, ref CounterRng rng, float rate = 0.5f)
    {
        if (!Draw(ref rng, rate, document.Length, out int a, out int b)) return document.ToArray();
        return [markers.Prefix, .. document[..a], markers.Suffix, .. document[b..], markers.Middle, .. document[a..b]];
    }

    // Decides whether to transform and draws the two cut points 0 <= a <= b <= length.
    private static bool Draw(ref CounterRng rng, float rate, int length, out int a, out int b)
    {
        if (!(rate >= 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the FIM rate must be in [0, 1].");
        double coin = rng.NextDouble();
        a = rng.NextInt(length + 1);
        b = rng.NextInt(length + 1);
        if (a > b) (a, b) = (b, a);
        return coin < rate;
    }

    private static int NotInsidePair(string text, int cut) =>
        cut > 0 && cut < text.Length && char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1]) ? cut - 1 : cut;
}

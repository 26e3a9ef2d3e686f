using System.Text;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>Seeded random strings that hit every branch of the pre-tokenizer and of UTF-8.</summary>
internal static class RandomText
{
    private static readonly string[] s_fragments =
    [
        " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "'s", "'t", "'re", "'ll", "'", "don't", "1", "42", "½", "Ⅻ",
        "a", "Z", "é", "ß", "日本", "한", "ع", "ह", "\u0301", "!", "?!", ".", "—", "€", "\u200d", "\u0000", "\u007f",
    ];

    private static readonly (int Lo, int Hi)[] s_ranges =
    [
        (0x20, 0x7e), (0x00, 0x1f), (0xa0, 0x2ff), (0x300, 0x36f), (0x370, 0x52f), (0x590, 0x6ff), (0x900, 0xdff),
        (0x1100, 0x11ff), (0x2000, 0x2bff), (0x3000, 0x30ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3), (0xe000, 0xfffd),
        (0x10000, 0x1018f), (0x1d400, 0x1d7ff), (0x1f300, 0x1faff), (0x20000, 0x2a6df), (0xe0000, 0xe007f),
    ];

    /// <summary>A string of about <paramref name="length"/> UTF-16 units.</summary>
    /// <param name="random">The seeded source.</param>
    /// <param name="length">Approximate length.</param>
    /// <param name="bmpOnly">Only code points below U+10000 (no surrogate pairs).</param>
    /// <param name="loneSurrogates">Sprinkle in unpaired surrogates (invalid UTF-16).</param>
    public static string Next(Random random, int length, bool bmpOnly = false, bool loneSurrogates = false)
    {
        var text = new StringBuilder(length + 8);
        while (text.Length < length)
        {
            int choice = random.Next(10);
            if (choice < 4) text.Append(s_fragments[random.Next(s_fragments.Length)]);
            else if (loneSurrogates && choice == 4) text.Append((char)random.Next(0xD800, 0xE000));
            else
            {
                var (lo, hi) = s_ranges[random.Next(s_ranges.Length)];
                if (bmpOnly && lo > 0xFFFF) (lo, hi) = (0x20, 0x7e);
                text.Append(char.ConvertFromUtf32(random.Next(lo, hi + 1)));
            }
        }
        return text.ToString();
    }

    /// <summary>What UTF-8 encoding makes of <paramref name="text"/>: each lone surrogate becomes U+FFFD.</summary>
    public static string Utf8RoundTrip(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
}

using System.Globalization;
using System.Runtime.CompilerServices;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// GPT-2's pre-tokenization, written out by hand instead of run through a regex engine. It splits
/// text exactly as the pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// does (leftmost match, alternatives tried in order, on code points). BPE never merges across
/// the pieces it returns.
/// </summary>
/// <remarks>
/// Reading the pattern as a scanner: at each position the contractions win first; otherwise an
/// optional single space (U+0020) is glued to the run of letters, digits or "other" characters that
/// follows it; otherwise a whitespace run is taken, minus its last character when non-whitespace
/// follows, because <c>\s+(?!\S)</c> backs off one character so that the last space can join the
/// next word. A lone UTF-16 surrogate counts as U+FFFD (an "other" character), which is what it
/// becomes in UTF-8.
/// </remarks>
internal static class Gpt2PreTokenizer
{
    internal const byte Other = 0, Letter = 1, Number = 2, Space = 3;

    // One class per UTF-16 code unit; surrogates are resolved in ClassAt.
    private static readonly byte[] s_bmpClass = BuildBmpClasses();

    /// <summary>End (exclusive) of the piece that starts at <paramref name="start"/>; <paramref name="start"/> is before the end.</summary>
    public static int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        char c = text[start];
        if (c == '\'')
        {
            int contraction = ContractionLength(text, start);
            if (contraction != 0) return start + contraction;
        }

        int run = c == ' ' ? start + 1 : start;
        if (run < text.Length)
        {
            byte cls = ClassAt(text, run, out int width);
            if (cls != Space)
            {
                run += width;
                while (run < text.Length)
                {
                    char next = text[run];
                    if (!char.IsSurrogate(next))
                    {
                        if (s_bmpClass[next] != cls) break;
                        run++;
                    }
                    else
                    {
                        if (ClassAt(text, run, out width) != cls) break;
                        run += width;
                    }
                }
                return run;
            }
        }

        // Whitespace (every White_Space code point is a single UTF-16 unit).
        int end = start + 1;
        while (end < text.Length && s_bmpClass[text[end]] == Space) end++;
        if (end == text.Length || end - start == 1) return end;
        return end - 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ContractionLength(ReadOnlySpan<char> text, int start)
    {
        if (start + 1 >= text.Length) return 0;
        char a = text[start + 1];
        if (a is 's' or 't' or 'm' or 'd') return 2;
        if (start + 2 >= text.Length) return 0;
        char b = text[start + 2];
        return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
    }

    /// <summary>Class of the code point at <paramref name="index"/> and its width in UTF-16 units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte ClassAt(ReadOnlySpan<char> text, int index, out int width)
    {
        char c = text[index];
        if (!char.IsSurrogate(c))
        {
            width = 1;
            return s_bmpClass[c];
        }
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return ClassOf(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[index + 1])));
        }
        width = 1;
        return Other; // a lone surrogate is encoded as U+FFFD, a symbol
    }

    internal static byte ClassOf(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
        _ => Other,
    };

    private static byte[] BuildBmpClasses()
    {
        var table = new byte[65536];
        for (int c = 0; c < table.Length; c++)
        {
            // char.IsWhiteSpace is exactly Unicode's White_Space property, which is \s in the pattern.
            table[c] = char.IsWhiteSpace((char)c) ? Space : ClassOf(CharUnicodeInfo.GetUnicodeCategory((char)c));
        }
        return table;
    }
}

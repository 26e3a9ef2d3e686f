using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character table. Vocabulary files store tokens as strings, so each of
/// the 256 byte values is given a printable character: the printable Latin-1 bytes stand for
/// themselves and the rest (controls, space, soft hyphen) are shifted to U+0100 and up, in byte order.
/// That is why a leading space shows up as 'Ġ' (U+0120) in <c>vocab.json</c>.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>The byte values in the order GPT-2 numbers its 256 single-byte tokens (printable first).</summary>
    public static IReadOnlyList<byte> Gpt2ByteOrder { get; } = BuildGpt2ByteOrder();

    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>The vocabulary-file spelling of a token's bytes.</summary>
    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, raw) =>
        {
            for (int i = 0; i < raw.Length; i++) chars[i] = s_byteToChar[raw[i]];
        });
    }

    /// <summary>Turns a vocabulary-file spelling back into bytes; false when a character is outside the alphabet.</summary>
    public static bool TryToBytes(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            int value = c < s_charToByte.Length ? s_charToByte[c] : -1;
            if (value < 0) return false;
            bytes[i] = (byte)value;
        }
        return true;
    }

    private static bool IsPrintableLatin1(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
            table[b] = IsPrintableLatin1(b) ? (char)b : (char)(256 + shifted++);
        return table;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var table = new short[512];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++) table[byteToChar[b]] = (short)b;
        return table;
    }

    private static byte[] BuildGpt2ByteOrder()
    {
        var order = new List<byte>(256);
        for (int b = 0; b < 256; b++) if (IsPrintableLatin1(b)) order.Add((byte)b);
        for (int b = 0; b < 256; b++) if (!IsPrintableLatin1(b)) order.Add((byte)b);
        return order.ToArray();
    }

    /// <summary>UTF-8 without a byte-order mark that throws instead of writing U+FFFD, for the files we save.</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

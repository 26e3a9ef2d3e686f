using System.Globalization;
using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// tiktoken's rank files (<c>r50k_base.tiktoken</c>, ...): one token per line, its bytes in base64,
/// a space, its rank. The rank is the token id and orders the merges; special tokens are not in the
/// file.
/// </summary>
internal static class TiktokenFormat
{
    public const string Extension = ".tiktoken";

    /// <summary>Tokens by rank (null where no line gives that rank).</summary>
    public static byte[]?[] Read(string path)
    {
        var byRank = new List<byte[]?>();
        var lineOfRank = new Dictionary<int, int>();
        var rankOfToken = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string line in HuggingFaceFormat.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || line.IndexOf(' ', space + 1) >= 0)
                throw new TokenizerFormatException(path, lineNumber, $"expected '<base64 token> <rank>', found '{Shorten(line)}'.");
            string base64 = line[..space];
            byte[] bytes = new byte[base64.Length];
            if (!Convert.TryFromBase64String(base64, bytes, out int length))
                throw new TokenizerFormatException(path, lineNumber, $"'{Shorten(base64)}' is not valid base64.");
            if (length == 0) throw new TokenizerFormatException(path, lineNumber, "a token must not be empty.");
            if (!int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
                throw new TokenizerFormatException(path, lineNumber, $"the rank '{Shorten(line[(space + 1)..])}' is not a non-negative integer.");
            if (!lineOfRank.TryAdd(rank, lineNumber))
                throw new TokenizerFormatException(path, lineNumber, $"rank {rank} appears twice (first on line {lineOfRank[rank]}).");
            bytes = bytes[..length];
            if (!rankOfToken.TryAdd(Convert.ToHexString(bytes), rank))
                throw new TokenizerFormatException(path, lineNumber, $"token '{base64}' appears twice (first on line {lineOfRank[rankOfToken[Convert.ToHexString(bytes)]]}).");

            while (byRank.Count <= rank) byRank.Add(null);
            byRank[rank] = bytes;
        }

        var single = new bool[256];
        foreach (byte[]? bytes in byRank) if (bytes is { Length: 1 }) single[bytes[0]] = true;
        int missing = Array.IndexOf(single, false);
        if (missing >= 0)
            throw new TokenizerFormatException(path, null, $"no token for byte 0x{missing:X2}; a byte-level vocabulary needs all 256 single-byte tokens.");
        return byRank.ToArray();
    }

    /// <summary>Writes the ordinary tokens, ranked by id.</summary>
    public static void Write(string path, IReadOnlyList<byte[]?> tokens)
    {
        HuggingFaceFormat.WriteAtomically(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
            for (int id = 0; id < tokens.Count; id++)
                if (tokens[id] is { } bytes) writer.WriteLine($"{Convert.ToBase64String(bytes)} {id}");
        });
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

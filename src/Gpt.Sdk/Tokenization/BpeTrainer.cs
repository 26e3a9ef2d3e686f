using System.Runtime.InteropServices;
using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// Learns a byte-level BPE vocabulary from a corpus, GPT-2 style: split the text with GPT-2's
/// pattern, start from the 256 byte tokens (so nothing is ever unknown), then repeatedly merge the
/// most frequent adjacent pair of tokens into a new token. Deterministic: the same corpus and options
/// give the same vocabulary (ties go to the pair with the lower ids).
/// </summary>
public static class BpeTrainer
{
    private const int FileChunkChars = 1 << 20;

    /// <summary>Learns a vocabulary from <paramref name="texts"/>; pieces never span two texts.</summary>
    /// <param name="texts">The corpus, as documents or chunks of a file.</param>
    /// <param name="options">Vocabulary size, special tokens, minimum pair frequency.</param>
    /// <param name="progress">Receives the stage and how far it got, now and then.</param>
    /// <param name="cancellationToken">Stops training; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The trained tokenizer: byte tokens are ids 0–255 (in GPT-2's order), then the merges, then the special tokens.</returns>
    public static BpeTokenizer Train(IEnumerable<string> texts, BpeTrainerOptions options,
        IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return TrainCore(texts, totalChars: 0, options, progress, cancellationToken);
    }

    /// <summary>Learns a vocabulary from a UTF-8 text file, read in chunks that end at line breaks.</summary>
    /// <param name="path">The corpus file.</param>
    /// <param name="options">Vocabulary size, special tokens, minimum pair frequency.</param>
    /// <param name="progress">Receives the stage and how far it got, now and then.</param>
    /// <param name="cancellationToken">Stops training; throws <see cref="OperationCanceledException"/>.</param>
    public static BpeTokenizer TrainFromFile(string path, BpeTrainerOptions options,
        IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"training data '{path}' does not exist.", path);
        long length = new FileInfo(path).Length; // bytes; close enough to characters for progress
        return TrainCore(ReadChunks(path), length, options, progress, cancellationToken);
    }

    private static BpeTokenizer TrainCore(IEnumerable<string> texts, long totalChars, BpeTrainerOptions options,
        IProgress<BpeTrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // Piece → how often it occurs. Looked up by span, so a piece seen before costs no allocation.
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        long read = 0;
        foreach (string text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            for (int start = 0, end; start < text.Length; start = end)
            {
                end = Gpt2PreTokenizer.PieceEnd(text, start);
                CollectionsMarshal.GetValueRefOrAddDefault(lookup, text.AsSpan(start, end - start), out _)++;
            }
            read += text.Length;
            progress?.Report(new BpeTrainingProgress(BpeTrainingStage.CountingWords, read, totalChars));
        }

        // Ids 0-255 are the bytes in GPT-2's order, so a trained vocabulary numbers bytes as GPT-2 does.
        var tokens = new List<byte[]?>(options.VocabularySize);
        var byteToId = new int[256];
        foreach (byte b in ByteLevelAlphabet.Gpt2ByteOrder)
        {
            byteToId[b] = tokens.Count;
            tokens.Add([b]);
        }

        var words = new TrainingWords(counts, byteToId);
        counts.Clear();
        int wanted = options.VocabularySize - options.SpecialTokens.Count - 256;
        var merges = words.LearnMerges(tokens, wanted, options.MinPairFrequency, progress, cancellationToken);

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string special in options.SpecialTokens) specials.Add(special, tokens.Count + specials.Count);
        return new BpeTokenizer(tokens, merges, specials);
    }

    private static IEnumerable<string> ReadChunks(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[FileChunkChars];
        var carry = new StringBuilder();
        int read;
        while ((read = reader.ReadBlock(buffer, 0, buffer.Length)) > 0)
        {
            // Cut after the last line break so that no piece is split across chunks.
            int cut = read == buffer.Length ? buffer.AsSpan(0, read).LastIndexOf('\n') + 1 : read;
            if (cut == 0)
            {
                carry.Append(buffer, 0, read);
                continue;
            }
            carry.Append(buffer, 0, cut);
            yield return carry.ToString();
            carry.Clear();
            carry.Append(buffer, cut, read - cut);
        }
        if (carry.Length > 0) yield return carry.ToString();
    }
}

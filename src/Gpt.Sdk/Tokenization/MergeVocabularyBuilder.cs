namespace Gpt.Sdk.Tokenization;

/// <summary>A token as a vocabulary file spells it, with its id and the line it is on.</summary>
internal readonly record struct VocabularyEntry(string Text, int Id, int Line);

/// <summary>One merge as a merges file spells it (<c>Ġ t</c>), with its line.</summary>
internal readonly record struct MergeEntry(string Left, string Right, int Line);

/// <summary>
/// Builds a tokenizer from a vocabulary and merge list in the Hugging Face / OpenAI spelling
/// (<c>vocab.json</c> + <c>merges.txt</c>, <c>encoder.json</c> + <c>vocab.bpe</c>, <c>tokenizer.json</c>),
/// refusing anything inconsistent with the file and line at fault.
/// </summary>
/// <remarks>
/// Special tokens are recognised the way these files imply them: an entry that is not in the
/// byte-level alphabet, or that is longer than one byte yet no merge produces or uses it (GPT-2's
/// <c>&lt;|endoftext|&gt;</c>), can only be a special token; its text is its spelling. Added tokens
/// (<c>tokenizer.json</c>'s <c>added_tokens</c>, <c>added_tokens.json</c>) are special too.
/// </remarks>
internal static class MergeVocabularyBuilder
{
    public static BpeTokenizer Build(
        IReadOnlyList<VocabularyEntry> vocabulary, string vocabularyFile,
        IReadOnlyList<MergeEntry> merges, string mergesFile,
        IReadOnlyList<VocabularyEntry> addedTokens, string addedTokensFile)
    {
        var idsByText = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
        var linesById = new Dictionary<int, (string Text, int Line)>(vocabulary.Count);
        foreach (var entry in vocabulary)
        {
            if (entry.Id < 0) throw new TokenizerFormatException(vocabularyFile, entry.Line, $"token '{entry.Text}' has a negative id ({entry.Id}).");
            if (!idsByText.TryAdd(entry.Text, entry.Id))
                throw new TokenizerFormatException(vocabularyFile, entry.Line, $"token '{entry.Text}' appears twice.");
            if (!linesById.TryAdd(entry.Id, (entry.Text, entry.Line)))
                throw new TokenizerFormatException(vocabularyFile, entry.Line,
                    $"id {entry.Id} is given to both '{linesById[entry.Id].Text}' (line {linesById[entry.Id].Line}) and '{entry.Text}'.");
        }

        int size = vocabulary.Count == 0 ? 0 : vocabulary.Max(e => e.Id) + 1;
        var tokens = new byte[]?[size];
        foreach (var entry in vocabulary)
            if (ByteLevelAlphabet.TryToBytes(entry.Text, out byte[] bytes) && bytes.Length > 0) tokens[entry.Id] = bytes;

        var resolved = new List<BpeMerge>(merges.Count);
        var seen = new Dictionary<(int, int), int>(merges.Count);
        var merged = new HashSet<int>(); // tokens a merge produces or consumes
        foreach (var merge in merges)
        {
            int left = OrdinaryId(merge.Left, merge, idsByText, tokens, vocabularyFile, mergesFile);
            int right = OrdinaryId(merge.Right, merge, idsByText, tokens, vocabularyFile, mergesFile);
            string joined = merge.Left + merge.Right;
            if (!idsByText.TryGetValue(joined, out int result))
                throw new TokenizerFormatException(mergesFile, merge.Line,
                    $"merge '{merge.Left} {merge.Right}' makes '{joined}', which is not in {Path.GetFileName(vocabularyFile)}.");
            if (!seen.TryAdd((left, right), merge.Line))
                throw new TokenizerFormatException(mergesFile, merge.Line,
                    $"merge '{merge.Left} {merge.Right}' appears twice (first on line {seen[(left, right)]}).");
            resolved.Add(new BpeMerge(left, right, result));
            merged.Add(result);
            merged.Add(left);
            merged.Add(right);
        }

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabulary)
        {
            byte[]? bytes = tokens[entry.Id];
            if (bytes is null || (bytes.Length > 1 && !merged.Contains(entry.Id)))
            {
                tokens[entry.Id] = null;
                specials[entry.Text] = entry.Id;
            }
        }
        foreach (var added in addedTokens)
        {
            if (idsByText.TryGetValue(added.Text, out int id) && id != added.Id)
                throw new TokenizerFormatException(addedTokensFile, added.Line,
                    $"added token '{added.Text}' has id {added.Id} but {Path.GetFileName(vocabularyFile)} gives it id {id}.");
            if (added.Id < 0) throw new TokenizerFormatException(addedTokensFile, added.Line, $"added token '{added.Text}' has a negative id.");
            if (added.Id < tokens.Length && tokens[added.Id] is not null)
            {
                if (id == added.Id) continue; // an ordinary token BPE produces anyway
                throw new TokenizerFormatException(addedTokensFile, added.Line,
                    $"added token '{added.Text}' has id {added.Id}, which belongs to another token.");
            }
            specials[added.Text] = added.Id;
        }

        for (int b = 0; b < 256; b++)
        {
            string spelling = ByteLevelAlphabet.ToChar((byte)b).ToString();
            if (!idsByText.TryGetValue(spelling, out int id) || tokens[id] is null)
                throw new TokenizerFormatException(vocabularyFile, null,
                    $"no token for byte 0x{b:X2} ('{spelling}'); a byte-level vocabulary needs all 256 single-byte tokens.");
        }

        return new BpeTokenizer(tokens, resolved, specials);
    }

    private static int OrdinaryId(string text, MergeEntry merge, Dictionary<string, int> idsByText, byte[]?[] tokens,
        string vocabularyFile, string mergesFile)
    {
        if (!idsByText.TryGetValue(text, out int id))
            throw new TokenizerFormatException(mergesFile, merge.Line,
                $"merge '{merge.Left} {merge.Right}' names token '{text}', which is not in {Path.GetFileName(vocabularyFile)}.");
        if (tokens[id] is null)
            throw new TokenizerFormatException(mergesFile, merge.Line,
                $"merge '{merge.Left} {merge.Right}' names '{text}', which is not spelled in the byte-level alphabet.");
        return id;
    }
}

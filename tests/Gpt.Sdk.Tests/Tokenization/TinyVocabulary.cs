using System.Text;
using System.Text.Json;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>
/// A small byte-level vocabulary written as vocab.json (one entry per line, so id i is on line i + 2)
/// and merges.txt (merge k on line k + 2), for tests that break the files on purpose.
/// </summary>
internal sealed class TinyVocabulary
{
    // Spelled in the byte-level alphabet: 'Ġ' is a space.
    public static readonly (string Left, string Right)[] DefaultMerges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("a", "b")];

    public List<string> VocabularyLines { get; } = [];

    public List<string> MergeLines { get; } = ["#version: 0.2"];

    public TinyVocabulary()
    {
        var spellings = new List<string>();
        // The 256 byte tokens in GPT-2's order (printable Latin-1 first).
        var printable = Enumerable.Range(0, 256).Where(b => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF).ToList();
        var rest = Enumerable.Range(0, 256).Except(printable).ToList();
        spellings.AddRange(printable.Select(b => ((char)b).ToString()));
        spellings.AddRange(rest.Select((b, i) => ((char)(256 + i)).ToString()));
        foreach (var (left, right) in DefaultMerges)
        {
            spellings.Add(left + right);
            MergeLines.Add($"{left} {right}");
        }
        spellings.Add("<|endoftext|>");
        VocabularyLines.Add("{");
        for (int id = 0; id < spellings.Count; id++)
            VocabularyLines.Add($"  {JsonSerializer.Serialize(spellings[id])}: {id}{(id + 1 < spellings.Count ? "," : "")}");
        VocabularyLines.Add("}");
    }

    public int Count => VocabularyLines.Count - 2;

    /// <summary>Line of the vocab.json entry with this id.</summary>
    public static int LineOfId(int id) => id + 2;

    /// <summary>Line of merges.txt holding merge k (0-based).</summary>
    public static int LineOfMerge(int k) => k + 2;

    public (string Vocabulary, string Merges) Write(string folder)
    {
        Directory.CreateDirectory(folder);
        string vocabulary = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        File.WriteAllText(vocabulary, string.Join("\n", VocabularyLines) + "\n", new UTF8Encoding(false));
        File.WriteAllText(merges, string.Join("\n", MergeLines) + "\n", new UTF8Encoding(false));
        return (vocabulary, merges);
    }
}

/// <summary>A temporary folder, deleted with its contents on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gpt-tokenizer-tests-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
